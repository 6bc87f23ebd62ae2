import avro from "avsc";

/**
 * Avro as the Pub/Sub API uses it: a schema per event type, payloads in Avro binary. Salesforce's
 * 64-bit longs (epoch-millisecond datetimes, counters) must keep every digit, and JSON output must
 * stay possible, so a long decodes to a JS number when it is exactly representable and to its
 * decimal string otherwise: never rounded, never a BigInt.
 */

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A long as sfevents holds it: a safe integer, or the decimal text of one beyond 2^53 - 1. */
export type AvroLong = number | string;

function toBigInt(value: AvroLong): bigint {
  return typeof value === "number" ? BigInt(value) : BigInt(value);
}

function isLong(value: unknown): value is AvroLong {
  if (typeof value === "number") return Number.isSafeInteger(value);
  if (typeof value !== "string" || !/^-?\d{1,19}$/.test(value)) return false;
  const n = BigInt(value);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** The long that keeps its precision, for schemas parsed with `parseSchema`. */
export const PRECISE_LONG = avro.types.LongType.__with({
  fromBuffer(buf: Buffer): AvroLong {
    const n = buf.readBigInt64LE(0);
    return n >= -MAX && n <= MAX ? Number(n) : n.toString();
  },
  toBuffer(value: AvroLong): Buffer {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(toBigInt(value), 0);
    return buf;
  },
  fromJSON: (value: AvroLong): AvroLong => value,
  toJSON: (value: AvroLong): AvroLong => value,
  isValid: isLong,
  compare(a: AvroLong, b: AvroLong): number {
    const [x, y] = [toBigInt(a), toBigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  },
});

/**
 * A schema's type with precise longs. Unions are kept wrapped ({"string": "x"}), whatever their
 * branches: `decodePayload` unwraps them, so an ambiguous union never changes how values come out.
 */
export function parseSchema(schema: string | object): avro.Type {
  const json = typeof schema === "string" ? (JSON.parse(schema) as object) : schema;
  return avro.Type.forSchema(json as avro.Schema, { registry: { long: PRECISE_LONG }, wrapUnions: true });
}

/** Decodes an Avro-binary payload into plain values: unions unwrapped, longs as above. */
export function decodePayload(type: avro.Type, payload: Buffer): Record<string, unknown> {
  return unwrap(type, type.fromBuffer(payload)) as Record<string, unknown>;
}

function unwrap(type: avro.Type, value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (type instanceof avro.types.WrappedUnionType) {
    const [branchName, inner] = Object.entries(value as Record<string, unknown>)[0];
    const branch = type.types.find((t) => t.branchName === branchName);
    return branch === undefined ? inner : unwrap(branch, inner);
  }
  if (type instanceof avro.types.RecordType) {
    const out: Record<string, unknown> = {};
    const record = value as Record<string, unknown>;
    for (const field of type.fields) out[field.name] = unwrap(field.type, record[field.name]);
    return out;
  }
  if (type instanceof avro.types.ArrayType) {
    return (value as unknown[]).map((item) => unwrap(type.itemsType, item));
  }
  if (type instanceof avro.types.MapType) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = unwrap(type.valuesType, v);
    return out;
  }
  return value;
}
