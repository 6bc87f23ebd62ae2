export interface DownloadApi {
  /** The file's bytes, decompressed, streamed; errors (a reset, a truncated gzip) surface from the iterator. */
  download(path: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
}
