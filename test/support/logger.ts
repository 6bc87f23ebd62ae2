import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/observability/logger.js";

/** One JSON log line of sfevents. */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A logger whose JSON lines are kept for assertions (after the project's redaction). */
export function capturedLogger(level: "debug" | "info" = "debug"): {
  logger: Logger;
  lines: () => LogLine[];
  text: () => string;
} {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      raw.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level, destination });
  const text = () => raw.join("");
  return {
    logger,
    text,
    lines: () =>
      text()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as LogLine),
  };
}
