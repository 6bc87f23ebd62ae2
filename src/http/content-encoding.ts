import { pipeline, Readable, type Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";

/**
 * Compressed bytes to plain ones, streamed: the one place sfevents decompresses, whether the bytes
 * come from Salesforce (named by their Content-Encoding) or from a file on disk (told by content).
 */

const GZIP_MAGIC = [0x1f, 0x8b];

/** The decompressor for a Content-Encoding; none for identity. Throws on a coding it cannot read. */
export function contentDecoder(contentEncoding: string | undefined): Transform | undefined {
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
      throw new Error(`unsupported Content-Encoding "${contentEncoding}"`);
  }
}

/**
 * `source` through `decoder`. pipeline() destroys every stage when one fails, so a source that
 * breaks (a reset socket) also fails the stream returned, and a corrupt stream fails with zlib's error.
 */
export function decoded(source: Readable, decoder: Transform | undefined): Readable {
  return decoder ? pipeline(source, decoder, () => {}) : source;
}

/** The bytes of `source`, gunzipped when they start with gzip's magic bytes, whatever the file is called. */
export async function* gunzippedIfGzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  const rest = (async function* () {
    if (head.length > 0) yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  })();
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1])
    yield* decoded(Readable.from(rest, { objectMode: false }), createGunzip());
  else yield* rest;
}
