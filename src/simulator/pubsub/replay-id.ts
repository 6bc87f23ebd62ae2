import { nameHash } from "../org/random.js";

/**
 * Replay ids of the simulated topics. A subscriber treats them as opaque bytes; inside, they name
 * an event's place in its topic, the order compareSlots defines (time, stream, index), so a CUSTOM
 * subscription resumes right after it without the server remembering anything.
 *
 *   version (1 byte) | topic hash (4) | time, epoch ms (8, signed) | stream (4) | index (4)
 */

export interface StreamPosition {
  time: number;
  stream: number;
  index: number;
}

const VERSION = 1;
const LENGTH = 21;
/** Above any real stream and index: "after every event of that millisecond". */
export const END_OF_MS = 0xffff_ffff;

export function encodeReplayId(topic: string, p: StreamPosition): Buffer {
  const buf = Buffer.alloc(LENGTH);
  buf.writeUInt8(VERSION, 0);
  buf.writeUInt32BE(nameHash(topic) >>> 0, 1);
  buf.writeBigInt64BE(BigInt(p.time), 5);
  buf.writeUInt32BE(p.stream, 13);
  buf.writeUInt32BE(p.index, 17);
  return buf;
}

/** The position a replay id names, or undefined when it is not one of this topic's. */
export function decodeReplayId(topic: string, id: Buffer): StreamPosition | undefined {
  if (id.length !== LENGTH || id.readUInt8(0) !== VERSION) return undefined;
  if (id.readUInt32BE(1) !== nameHash(topic) >>> 0) return undefined;
  const time = Number(id.readBigInt64BE(5));
  if (!Number.isSafeInteger(time)) return undefined;
  return { time, stream: id.readUInt32BE(13), index: id.readUInt32BE(17) };
}
