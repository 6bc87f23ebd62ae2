import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Readable, pipeline } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { constants, createGzip } from "node:zlib";
import type { FaultSpec } from "../scenario.js";
import type { BodyFault } from "./faults.js";
import { JSON_TYPE } from "./error-bodies.js";
import { LogFileBody } from "../org/csv-body.js";

/**
 * Writing answers: JSON in Salesforce's shapes, and bodies streamed with backpressure, gzip-compressed
 * when the client asks, and spoiled on purpose when a body fault is due.
 */

export type SpoiledBody = FaultSpec & { type: BodyFault };

/** Salesforce compresses when asked (and usually does); identity otherwise. `gzip;q=0` refuses it. */
export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers["accept-encoding"];
  if (typeof header !== "string") return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding.trim() !== "gzip" && coding.trim() !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Resolves once the response can take more (or is gone, which the caller checks). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** `written`, if given, is told once the chunk's bytes have left for the socket. */
async function write(res: ServerResponse, chunk: Buffer, written?: (chunk: Buffer) => void): Promise<void> {
  const flushed =
    written &&
    ((err?: Error | null) => {
      if (!err) written(chunk);
    });
  if (!res.write(chunk, flushed)) await drained(res);
}

/** Writes and waits until the bytes have left for the socket, so a reset comes after them. */
function writeFlushed(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (chunk.length === 0) resolve();
    else res.write(chunk, () => resolve());
  });
}

/**
 * Sends `source` as the body: read only as fast as the client takes it, so a 2 GB file never sits in
 * memory. A spoiled body is cut after `after_bytes` encoded bytes (by a TCP reset, or by a clean end
 * that leaves a gzip stream incomplete) or paced at `bytes_per_second`.
 */
export async function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  source: Readable,
  spoil?: SpoiledBody,
): Promise<void> {
  let body: Readable = source;
  if (acceptsGzip(req)) {
    // Fastest level: the simulator must not be what limits a collector's throughput in the benchmark.
    const gzip = createGzip({ level: constants.Z_BEST_SPEED });
    body = pipeline(source, gzip, () => {});
    headers = { ...headers, "Content-Encoding": "gzip", Vary: "Accept-Encoding" };
  }
  res.writeHead(status, headers);
  if (req.method === "HEAD") {
    // Headers only: a 2 GB file is not generated for nobody.
    source.destroy();
    res.end();
    return;
  }
  // Uncompressed, the chunks go to the socket as they are: each comes back to the body's buffers
  // once written. (Compressed, zlib holds them for as long as it likes.)
  const buffers = body === source && source instanceof LogFileBody ? source.buffers : undefined;
  const written = buffers && ((chunk: Buffer) => buffers.giveBack(chunk));
  let sent = 0;
  try {
    for await (const data of body) {
      if (res.destroyed) return;
      let chunk = data as Buffer;
      if (spoil?.type === "slow-body") {
        await sendSlowly(res, chunk, spoil.bytes_per_second);
        continue;
      }
      if (spoil !== undefined && sent + chunk.length >= spoil.after_bytes) {
        chunk = chunk.subarray(0, spoil.after_bytes - sent);
        await writeFlushed(res, chunk);
        if (spoil.type === "connection-reset") res.socket?.resetAndDestroy();
        else res.end();
        return;
      }
      sent += chunk.length;
      await write(res, chunk, written);
    }
    if (spoil?.type === "connection-reset") {
      // The body was shorter than after_bytes: the connection still breaks before the end.
      res.socket?.resetAndDestroy();
      return;
    }
    res.end();
  } finally {
    body.destroy();
    source.destroy();
  }
}

async function sendSlowly(res: ServerResponse, chunk: Buffer, bytesPerSecond: number): Promise<void> {
  // Ten slices a second: a steady trickle rather than one burst per second.
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  for (let at = 0; at < chunk.length && !res.destroyed; at += slice) {
    const piece = chunk.subarray(at, at + slice);
    await write(res, piece);
    await sleep((piece.length / bytesPerSecond) * 1000);
  }
}

/** A JSON answer; Salesforce sends its JSON with this exact content type. */
export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  json: string,
  spoil?: SpoiledBody,
  headers: OutgoingHttpHeaders = {},
): Promise<void> {
  return sendText(req, res, status, JSON_TYPE, json, spoil, headers);
}

export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  spoil?: SpoiledBody,
  headers: OutgoingHttpHeaders = {},
): Promise<void> {
  const source = Readable.from([Buffer.from(text, "utf8")]);
  return sendBody(req, res, status, { ...headers, "Content-Type": contentType }, source, spoil);
}
