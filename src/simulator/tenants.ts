import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config/load.js";
import { parseScenario, type Scenario, type ScenarioInput } from "./scenario.js";
import { type Simulator, startSimulator } from "./server/index.js";

/**
 * Many simulated orgs in one process, as a provider's collectors see their customers: each tenant
 * is a whole simulated org (startSimulator) on its own ports, with its own data and its own
 * connected app, so a collector that mixed up two orgs' credentials, tokens or rows would show it.
 */

export interface Tenant {
  /** org-01, org-02, ...: the name a collector's orgs_dir gives it (its file's name). */
  name: string;
  /** The environment variable the written org file reads its client secret from. */
  secretVariable: string;
  simulator: Simulator;
}

/** org-01 ... org-09 for a few, org-001 for a hundred or more: names sort as the tenants do. */
export function tenantName(index: number, count: number): string {
  return `org-${String(index + 1).padStart(Math.max(2, String(count).length), "0")}`;
}

/**
 * The scenario of tenant `index`: the base scenario with its own seed (the base seed plus the
 * index), its own ports (the base ports plus the index, or 0 for any free one), its own consumer key
 * (the base key and its name) and a secret made at random for this run. The secret is random rather
 * than derived so that nothing but the printed value (or its environment variable) opens the tenant.
 */
function tenantScenario(input: ScenarioInput, base: Scenario, index: number, name: string): ScenarioInput {
  const offset = (port: number) => (port === 0 ? 0 : port + index);
  return {
    ...input,
    seed: base.seed + index,
    port: offset(base.port),
    pubsub: { ...input.pubsub, port: offset(base.pubsub.port) },
    oauth: {
      ...input.oauth,
      client_id: `${base.oauth.client_id}.${name}`,
      client_secret: randomBytes(18).toString("base64url"),
    },
  };
}

/**
 * Starts `count` tenants of the scenario one after another; if one cannot start, those started are
 * closed. A scenario's mistakes are reported once, before any tenant starts.
 */
export async function startTenants(input: ScenarioInput, count: number): Promise<Tenant[]> {
  const base = parseScenario(input);
  if (input.oauth?.client_secret !== undefined) {
    throw new ConfigError(
      "oauth.client_secret cannot be given with several orgs: each org gets a secret of its own, made at start and printed",
    );
  }
  const tenants: Tenant[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = tenantName(i, count);
      const simulator = await startSimulator(tenantScenario(input, base, i, name));
      tenants.push({ name, secretVariable: secretVariable(name), simulator });
    }
    return tenants;
  } catch (err) {
    await closeTenants(tenants);
    throw err;
  }
}

export async function closeTenants(tenants: Tenant[]): Promise<void> {
  await Promise.all(tenants.map((t) => t.simulator.close()));
}

function secretVariable(name: string): string {
  return `SFEVENTS_SIM_${name.toUpperCase().replaceAll("-", "_")}_CLIENT_SECRET`;
}

/**
 * One org file per tenant in `dir` (created if missing), as a collector's `orgs_dir` reads them:
 * `<name>.yaml` with its `salesforce` section, the secret as a reference to its environment
 * variable. Each file is written beside its place and renamed into it, so a collector reading the
 * folder meanwhile never sees half a file. Returns the files' paths.
 */
export function writeOrgsDir(dir: string, tenants: Tenant[]): string[] {
  mkdirSync(dir, { recursive: true });
  return tenants.map((tenant) => {
    const path = join(dir, `${tenant.name}.yaml`);
    const text = [
      `# The simulated org ${tenant.name} of sfevents simulate --orgs (seed ${tenant.simulator.scenario.seed}).`,
      "salesforce:",
      `  url: ${tenant.simulator.url}`,
      `  client_id: ${tenant.simulator.clientId}`,
      `  client_secret: \${${tenant.secretVariable}}`,
      "",
    ].join("\n");
    const temporary = join(dir, `.${tenant.name}.yaml.tmp`);
    writeFileSync(temporary, text);
    renameSync(temporary, path);
    return path;
  });
}
