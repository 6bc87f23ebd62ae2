import { PassThrough, pipeline, type Readable, type Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { SalesforceDownloadError } from "./errors.js";

function decoderFor(contentEncoding: string | undefined, path: string): Transform | undefined {
  const encoding = contentEncoding?.trim().toLowerCase() ?? "";
  switch (encoding) {
    case "":
    case "identity":
      return undefined;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      throw new SalesforceDownloadError(path, new Error(`unsupported Content-Encoding "${contentEncoding}"`));
  }
}

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
    decoder = decoderFor(contentEncoding, path);
  } catch (err) {
    body.destroy();
    throw err;
  }
  // pipeline() destroys every stage when one fails, so a reset socket also fails the decoder.
  const source = decoder ? pipeline(body, decoder, () => {}) : body;
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
