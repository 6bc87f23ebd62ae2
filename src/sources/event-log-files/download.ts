import { type LogFileBatch, LogFileReader } from "../../csv/log-file-reader.js";
import type { EventLogFile } from "./records.js";

export interface DownloadApi {
  /** The file's bytes, decompressed, streamed; errors (a reset, a truncated gzip) surface from the iterator. */
  download(path: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}

export interface FileBatch extends LogFileBatch {
  header: readonly string[];
  /** Names the header repeats; their later columns carry a suffix (NAME_2, ...) in `header`. */
  repeatedColumns: readonly string[];
}

/** Streams one Event Log File as batches of parsed rows: one network chunk in memory at a time. */
export async function* readEventLogFile(
  api: DownloadApi,
  file: EventLogFile,
  signal?: AbortSignal,
): AsyncGenerator<FileBatch> {
  const reader = new LogFileReader();
  const body = await api.download(file.LogFile, signal);
  for await (const batch of reader.read(body)) {
    yield { header: reader.header ?? [], repeatedColumns: reader.repeatedColumns, ...batch };
  }
}
