import { pino, type Logger } from "pino";
import { prettyDestination } from "./pretty.js";

export type { Logger };

const REDACTED = "[REDACTED]";

/**
 * Values that must never reach a log line: client secrets, tokens, intake keys, private keys.
 * Redaction works on the written text, so a secret is caught wherever it hides (a field, an error
 * message, a URL), not only under the keys someone remembered to list.
 */
export class SecretRegistry {
  private readonly secrets = new Set<string>();

  add(value: string | undefined): void {
    // Very short values would redact ordinary words; real secrets are long.
    if (value && value.length >= 6) this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
      // A secret inside JSON text is escaped; catch that form too.
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
    }
    return out;
  }
}

export const secrets = new SecretRegistry();

/** Keys whose values are secret wherever they appear in a log record. */
const REDACT_PATHS = [
  "client_secret",
  "clientSecret",
  "access_token",
  "accessToken",
  "intake_key",
  "intakeKey",
  "private_key",
  "privateKey",
  "authorization",
  "*.client_secret",
  "*.access_token",
  "*.intake_key",
  "*.private_key",
  "*.authorization",
  "headers.authorization",
];

export type LogFormat = "json" | "pretty";

export interface LoggerOptions {
  level?: string;
  /** Where lines go; standard error by default, so standard output stays for data. */
  destination?: NodeJS.WritableStream;
  /** JSON lines (for a log pipeline), or lines for a person; default: pretty on a terminal. */
  format?: LogFormat;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.SFEVENTS_LOG_LEVEL ?? "info",
      base: { name: "sfevents" },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: (line) => secrets.redact(line) },
    },
    destinationFor(options),
  );
}

function destinationFor(options: LoggerOptions): pino.DestinationStream {
  const stream = options.destination ?? process.stderr;
  const format = options.format ?? ((stream as { isTTY?: boolean }).isTTY ? "pretty" : "json");
  return (format === "pretty" ? prettyDestination(stream) : stream) as pino.DestinationStream;
}
