import type { EventLogFile } from "../sources/event-log-files/records.js";
import { describeFile } from "../sources/event-log-files/records.js";

/** Human progress for a terminal: one line per file, rewritten while rows flow. Silent elsewhere. */
export interface Progress {
  startFile(file: EventLogFile): void;
  rows(file: EventLogFile, rows: number): void;
  doneFile(file: EventLogFile, rows: number): void;
}

const REDRAW_EVERY_MS = 250;

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  let lastDraw = 0;
  const draw = (text: string, final: boolean) => {
    const now = Date.now();
    if (!final && now - lastDraw < REDRAW_EVERY_MS) return;
    lastDraw = now;
    stream.write(`\r\x1b[2K${text}${final ? "\n" : ""}`);
  };
  const count = (rows: number) => `${rows.toLocaleString("en-US")} rows`;
  return {
    startFile: (file) => draw(`… ${describeFile(file)}`, false),
    rows: (file, rows) => draw(`… ${describeFile(file)}  ${count(rows)}`, false),
    doneFile: (file, rows) => draw(`✓ ${describeFile(file)}  ${count(rows)}`, true),
  };
}
