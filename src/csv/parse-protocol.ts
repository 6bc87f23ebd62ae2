import type { RowProblem } from "./log-file-reader.js";

/**
 * Messages between the main thread and a parse thread. One thread reads several files at once,
 * each under the id the main thread gave it; every chunk sent is answered by exactly one reply,
 * which is what the main thread counts to bound what is in flight.
 */
export type ToParseThread =
  | { kind: "chunk"; id: number; chunk: Uint8Array | string }
  | { kind: "end"; id: number }
  /** The reading was abandoned: the thread forgets the file. */
  | { kind: "drop"; id: number };

export interface ParsedRows {
  kind: "rows";
  id: number;
  /** Set in the first reply after the header was read, then left out. */
  header?: string[];
  repeatedColumns?: string[];
  unreadableHeader: boolean;
  /** Each row's line, in order. */
  lines: Int32Array;
  /**
   * Each row's raw JSON. Strings one by one, not joined: a joined batch is a string V8 keeps as a
   * large object, in pages mapped and unmapped for each message.
   */
  jsons: string[];
  problems: RowProblem[];
  /** The answer to "end": nothing more comes for this id. */
  last: boolean;
}

export type FromParseThread = ParsedRows | { kind: "error"; id: number; error: unknown };
