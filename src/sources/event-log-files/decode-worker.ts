import { parentPort } from "node:worker_threads";
import { type DecodedRows, LogFileDecoder } from "./decode.js";
import type { FromThread, ToThread } from "./decode-threads.js";

/**
 * A worker thread of decode-threads.ts: decodes the files it is given, each chunk as it comes, and
 * answers every chunk (and the end) with one message, so the main thread knows what is in flight.
 */
const port = parentPort;
if (port === null) throw new Error("decode-worker.js runs as a worker thread");

interface Job {
  decoder: LogFileDecoder;
  /** The header crosses once per file: the main thread keeps it for the later batches. */
  headerSent: boolean;
}

const jobs = new Map<number, Job>();

port.on("message", (message: ToThread) => {
  switch (message.type) {
    case "start":
      jobs.set(message.job, {
        decoder: new LogFileDecoder({ values: false, fingerprints: message.fingerprints }),
        headerSent: false,
      });
      return;
    case "chunk": {
      const job = jobs.get(message.job);
      if (job) answer(message.job, job, job.decoder.write(message.bytes));
      return;
    }
    case "end": {
      const job = jobs.get(message.job);
      jobs.delete(message.job);
      if (job) answer(message.job, job, job.decoder.end());
      return;
    }
    case "cancel":
      jobs.delete(message.job);
      return;
  }
});

function answer(id: number, job: Job, rows: DecodedRows | undefined): void {
  if (rows === undefined) {
    port?.postMessage({ type: "rows", job: id } satisfies FromThread);
    return;
  }
  const { header, values: _values, ...rest } = rows;
  const withHeader = job.headerSent ? rest : { ...rest, header };
  job.headerSent = true;
  const transfer: ArrayBuffer[] = [rows.lines.buffer as ArrayBuffer];
  if (rows.fingerprints) transfer.push(rows.fingerprints.buffer as ArrayBuffer);
  port?.postMessage({ type: "rows", job: id, rows: withHeader } satisfies FromThread, transfer);
}
