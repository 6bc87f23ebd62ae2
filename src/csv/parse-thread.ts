import { parentPort } from "node:worker_threads";
import { LogFileReader } from "./log-file-reader.js";
import type { FromParseThread, ToParseThread } from "./parse-protocol.js";
import { rowJsonEncoder } from "./row-json.js";

/**
 * A parse thread: reads the chunks of Event Log Files into rows and encodes each row's raw JSON,
 * the CPU-bound half of collecting a file, while the main thread downloads, deduplicates and
 * delivers. It holds only what the main thread sent and it has not answered yet.
 */

interface FileInThread {
  reader: LogFileReader;
  encode: ReturnType<typeof rowJsonEncoder> | undefined;
}

const port = parentPort;
if (port === null) throw new Error("parse-thread.js runs as a worker thread, not on its own");
const files = new Map<number, FileInThread>();

port.on("message", (message: ToParseThread) => {
  const { id } = message;
  if (message.kind === "drop") {
    files.delete(id);
    return;
  }
  let file = files.get(id);
  if (file === undefined) {
    file = { reader: new LogFileReader(), encode: undefined };
    files.set(id, file);
  }
  try {
    if (message.kind === "chunk") write(file.reader, message.chunk);
    else {
      file.reader.end();
      files.delete(id);
    }
    reply(id, file, message.kind === "end");
  } catch (error) {
    files.delete(id);
    port.postMessage({ kind: "error", id, error } satisfies FromParseThread);
  }
});

/**
 * Text of at most this many characters at a time: a longer string is a large object to V8, given
 * memory of its own and unmapped when collected, and a quarter of a megabyte of those per chunk made
 * the thread spend more time in page faults than in parsing.
 */
const DECODE_BYTES = 64 * 1024;

function write(reader: LogFileReader, chunk: Uint8Array | string): void {
  if (typeof chunk === "string") {
    reader.write(chunk);
    return;
  }
  for (let at = 0; at < chunk.length; at += DECODE_BYTES) reader.write(chunk.subarray(at, at + DECODE_BYTES));
}

function reply(id: number, file: FileInThread, last: boolean): void {
  const { reader } = file;
  const { rows, plain, problems } = reader.take();
  let header: string[] | undefined;
  if (file.encode === undefined && reader.header !== undefined) {
    header = reader.header;
    file.encode = rowJsonEncoder(header);
  }
  const lines = new Int32Array(rows.length);
  const jsons: string[] = new Array(rows.length);
  const encode = file.encode;
  if (encode !== undefined) {
    for (let i = 0; i < rows.length; i++) {
      lines[i] = rows[i].line;
      jsons[i] = encode(rows[i].values, plain[i]);
    }
  }
  const message: FromParseThread = {
    kind: "rows",
    id,
    header,
    repeatedColumns: header === undefined ? undefined : reader.repeatedColumns,
    unreadableHeader: reader.unreadableHeader,
    lines,
    jsons,
    problems,
    last,
  };
  port?.postMessage(message, [lines.buffer]);
}
