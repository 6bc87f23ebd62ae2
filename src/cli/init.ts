import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command } from "commander";
import { ExplainedError } from "../core/errors.js";

/**
 * A starter configuration: every section a first collection needs, secrets left to the environment,
 * and the optional parts commented out so that the file is valid as written once the variables are
 * set.
 */
export const STARTER_CONFIG = `# sfevents configuration: every key, its default and its meaning are in docs/configuration.md.
# Values written \${NAME} are read from the environment when sfevents starts: keep secrets there.
# Check this file against your org and outputs with: npx sfevents check --config <this file>

salesforce:
  # The org's My Domain URL (Setup > My Domain), not login.salesforce.com.
  url: https://your-domain.my.salesforce.com
  # The External Client App's consumer key and secret (README.md, "Salesforce side, step by step").
  client_id: \${SF_CLIENT_ID}
  client_secret: \${SF_CLIENT_SECRET}
  # Or the JWT bearer flow, instead of client_secret:
  # jwt:
  #   username: integration@example.com
  #   private_key_file: ./sfevents.key
  #   audience: https://login.salesforce.com   # https://test.salesforce.com for sandboxes

event_log_files:
  interval: auto        # hourly | daily | auto (hourly files when the org has them)
  event_types: []       # empty = every event type the org has, or e.g. [Login, API, ReportExport]
  lookback: 24h         # where the first run starts
  poll_every: 10m

# Real-Time Event Monitoring objects, SetupAuditTrail and LoginHistory, minutes behind rather than
# hours (docs/configuration.md, "objects"). Uncomment to collect them beside the files.
# objects:
#   types: [LoginEvent, ApiEvent, ReportEvent, SetupAuditTrail, LoginHistory]   # default: all this user can read
#   poll_every: 1m
#   lag: 1m               # a window ends this far behind the org's clock
#   overlap: 15m          # each poll reads this far back again, for rows stored late

# At least one output; each configured output acknowledges a file's rows before its checkpoint moves.
outputs:
  sekoia:
    url: https://intake.sekoia.io   # your region's intake URL
    intake_key: \${SEKOIA_INTAKE_KEY}
  # file:
  #   path: ./out/salesforce-events.ndjson   # or - for standard output
  #   format: raw                            # raw | ecs

# Which files were delivered, the cursor and the rows' fingerprints: keep it across restarts.
state:
  path: ./var/sfevents.sqlite

# Rows that could not be delivered as they are, with their file Id and line: look at it now and then.
dead_letters:
  path: ./var/dead-letters.ndjson

# Prometheus metrics, /healthz, /readyz and a status page (docs/operations.md); off when unset.
# metrics:
#   listen: 127.0.0.1:9464
`;

export function command(): Command {
  return new Command()
    .description("Write a commented starter configuration.")
    .argument("[file]", "where to write it", "./sfevents.yaml")
    .option("--force", "overwrite the file if it exists")
    .action((file: string, options: { force?: boolean }) => {
      const path = resolve(file);
      writeStarter(path, options.force === true);
      process.stdout.write(
        `Wrote ${path}.\nNext: set salesforce.url, export SF_CLIENT_ID, SF_CLIENT_SECRET and SEKOIA_INTAKE_KEY, then run \`npx sfevents check --config ${file}\`.\n`,
      );
    });
}

function writeStarter(path: string, force: boolean): void {
  try {
    // "wx" refuses an existing file in the same call that creates it, so nothing is overwritten by a race.
    writeFileSync(path, STARTER_CONFIG, { flag: force ? "w" : "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST")
      throw new ExplainedError(`${path} already exists; pass --force to overwrite it.`, "stop");
    throw new ExplainedError(`cannot write ${path}: ${(err as Error).message}`, "stop");
  }
}
