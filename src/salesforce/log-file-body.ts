import { PassThrough, type Readable, type Transform } from "node:stream";
import { contentDecoder, decoded } from "../http/content-encoding.js";
import { SalesforceDownloadError } from "./errors.js";

/**
 * The decoded bytes of a log file body, streamed: decompressed as they arrive, with backpressure
 * from the reader back to the socket. Any failure before the end (a reset, a truncated or corrupt
 * gzip stream) makes the stream fail with a SalesforceDownloadError, never end early as if whole.
 * Destroying the returned stream aborts the download and frees the connection; so does `signal`,
 * whose reason then fails the stream as it is.
 */
export function logFileBody(
  body: Readable,
  contentEncoding: string | undefined,
  path: string,
  signal?: AbortSignal,
): Readable {
  let decoder: Transform | undefined;
  try {
    decoder = contentDecoder(contentEncoding);
  } catch (err) {
    body.destroy();
    throw new SalesforceDownloadError(path, err as Error);
  }
  const source = decoded(body, decoder);
  const out = new PassThrough();
  source.on("error", (err) =>
    out.destroy(signal?.aborted ? signal.reason : new SalesforceDownloadError(path, err)),
  );
  // The reader may stop early (an error downstream, a shutdown): stop downloading too.
  out.on("close", () => {
    if (!source.readableEnded) source.destroy();
  });
  source.pipe(out);
  return out;
}
