/**
 * Human progress for a terminal: one line per unit of work (an Event Log File, ...), rewritten while
 * rows flow. Silent elsewhere. Units are named by their source (`describeFile`, ...), so this module
 * knows no Salesforce object.
 */
export interface Progress {
  startUnit(unit: string): void;
  rows(unit: string, rows: number): void;
  doneUnit(unit: string, rows: number): void;
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
  const count = (rows: number) => `${rows.toLocaleString("en-US")} row${rows === 1 ? "" : "s"}`;
  return {
    startUnit: (unit) => draw(`… ${unit}`, false),
    rows: (unit, rows) => draw(`… ${unit}  ${count(rows)}`, false),
    doneUnit: (unit, rows) => draw(`✓ ${unit}  ${count(rows)}`, true),
  };
}
