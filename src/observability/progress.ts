import { count } from "./count.js";
/**
 * Human progress for a terminal: one line per unit of work (an Event Log File, a replayed file, ...),
 * rewritten while rows flow. Silent elsewhere. Units are named by their source (`describeFile`, ...),
 * so this module knows no Salesforce object.
 */
export interface Progress {
  startUnit(unit: string): void;
  /** `deadLetters`: rows of the unit set aside so far, shown when there are any. */
  rows(unit: string, rows: number, deadLetters?: number): void;
  doneUnit(unit: string, rows: number, deadLetters?: number): void;
  /** Ends the unit's line as failed, so that what is said of the failure starts on a line of its own. */
  failUnit(unit: string, rows: number): void;
}

const REDRAW_EVERY_MS = 250;

/** Where progress is drawn: standard error, or a stand-in for it. */
export type ProgressStream = { isTTY?: boolean; write(text: string): unknown };

export function terminalProgress(stream: ProgressStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  let lastDraw = 0;
  const draw = (text: string, final: boolean) => {
    const now = Date.now();
    if (!final && now - lastDraw < REDRAW_EVERY_MS) return;
    lastDraw = now;
    stream.write(`\r\x1b[2K${text}${final ? "\n" : ""}`);
  };
  const rowsAndLetters = (rows: number, deadLetters = 0) =>
    `${count(rows, "row")}${deadLetters > 0 ? `, ${count(deadLetters, "dead letter")}` : ""}`;
  return {
    startUnit: (unit) => draw(`… ${unit}`, false),
    rows: (unit, rows, deadLetters) => draw(`… ${unit}  ${rowsAndLetters(rows, deadLetters)}`, false),
    doneUnit: (unit, rows, deadLetters) => draw(`✓ ${unit}  ${rowsAndLetters(rows, deadLetters)}`, true),
    failUnit: (unit, rows) => draw(`✗ ${unit}  ${rowsAndLetters(rows)}`, true),
  };
}
