/**
 * Writes a tiny MaxMind DB (.mmdb) file holding one IPv4 network, so GeoIP enrichment is tested on
 * a real file without shipping a GeoLite2 or DB-IP database. Format: MaxMind DB File Format
 * Specification 2.0 (search tree of 24-bit records, data section, metadata after a marker).
 */
type Value = string | number | boolean | Value[] | { [key: string]: Value };

const TYPE = { utf8: 2, double: 3, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 } as const;

/** Control byte, extended type byte, then one extra size byte for sizes 29 to 284. */
function control(type: number, size: number): Buffer {
  if (size > 284) throw new Error("this writer only encodes sizes up to 284");
  const sizeBits = Math.min(size, 29);
  const bytes = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  if (size >= 29) bytes.push(size - 29);
  return Buffer.from(bytes);
}

function uint(type: number, value: number | bigint): Buffer {
  let hex = value.toString(16);
  if (hex === "0") hex = "";
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, "hex");
  return Buffer.concat([control(type, bytes.length), bytes]);
}

function encode(value: Value, asType?: number): Buffer {
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([control(TYPE.utf8, bytes.length), bytes]);
  }
  if (typeof value === "boolean") return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === "number") {
    if (asType !== undefined) return uint(asType, value);
    if (!Number.isInteger(value)) {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleBE(value);
      return Buffer.concat([control(TYPE.double, 8), bytes]);
    }
    return uint(TYPE.uint32, value);
  }
  if (Array.isArray(value))
    return Buffer.concat([control(TYPE.array, value.length), ...value.map((v) => encode(v))]);
  const entries = Object.entries(value);
  return Buffer.concat([
    control(TYPE.map, entries.length),
    ...entries.flatMap(([k, v]) => [encode(k), encode(v)]),
  ]);
}

/** A database where `network` (e.g. "203.0.113.0/24") holds `record`, and no other address anything. */
export function mmdb(
  network: string,
  record: { [key: string]: Value },
  databaseType = "GeoLite2-City",
): Buffer {
  const [address, bits] = network.split("/");
  const prefix = address.split(".").reduce((n, octet) => (n << 8) + Number(octet), 0) >>> 0;
  const length = Number(bits);
  const nodeCount = length;
  const tree = Buffer.alloc(nodeCount * 6);
  const dataPointer = nodeCount + 16; // the record is at offset 0 of the data section
  for (let i = 0; i < length; i++) {
    const bit = (prefix >>> (31 - i)) & 1;
    const next = i === length - 1 ? dataPointer : i + 1;
    tree.writeUIntBE(bit === 0 ? next : nodeCount, i * 6, 3);
    tree.writeUIntBE(bit === 1 ? next : nodeCount, i * 6 + 3, 3);
  }
  const metadata = Buffer.concat([
    control(TYPE.map, 9),
    encode("node_count"),
    uint(TYPE.uint32, nodeCount),
    encode("record_size"),
    uint(TYPE.uint16, 24),
    encode("ip_version"),
    uint(TYPE.uint16, 4),
    encode("database_type"),
    encode(databaseType),
    encode("languages"),
    encode(["en"]),
    encode("binary_format_major_version"),
    uint(TYPE.uint16, 2),
    encode("binary_format_minor_version"),
    uint(TYPE.uint16, 0),
    encode("build_epoch"),
    uint(TYPE.uint64, 1_700_000_000n),
    encode("description"),
    encode({ en: "sfevents test" }),
  ]);
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    encode(record),
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from("MaxMind.com"),
    metadata,
  ]);
}
