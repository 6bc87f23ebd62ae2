import { eventFingerprint } from "../../core/identity.js";
import type { FingerprintUnit, RowFingerprints } from "../store.js";

/**
 * A unit's row fingerprints on PostgreSQL. seen() is called once per row and must answer at once,
 * which a server cannot: so the fingerprints of the scope's delivered units are read in one query
 * when the unit starts (rowFingerprints), held as a sorted array and searched in memory, and the
 * unit's own are held until markDelivered writes them with the unit, in its transaction.
 *
 * What that costs: one query per unit whose scope already has a delivered unit (a first unit of an
 * hour or a day reads nothing), moving 16 bytes per fingerprint of the scope (hex of 8); 8 bytes of
 * memory per delivered row of the scope and 8 per row of the unit, for the unit's life (a daily
 * file of 1 million rows arriving after one of the same size: 16 MB); a binary search per row
 * (about 20 comparisons for a million). Rows delivered by another collector in the same scope while
 * this unit is read are not seen: at worst delivered twice, never lost.
 */
export class PostgresRowFingerprints implements RowFingerprints {
  private pending: BigInt64Array<ArrayBuffer> = new BigInt64Array(1_024);
  private count = 0;

  constructor(
    readonly unit: FingerprintUnit,
    /** The fingerprints of the scope's delivered units, ascending. */
    private readonly delivered: BigInt64Array,
  ) {}

  seen(json: string, fingerprint = eventFingerprint(json)): boolean {
    if (this.delivered.length > 0 && includes(this.delivered, fingerprint)) return true;
    if (this.count === this.pending.length) {
      const larger = new BigInt64Array(this.count * 2);
      larger.set(this.pending);
      this.pending = larger;
    }
    this.pending[this.count++] = fingerprint;
    return false;
  }

  /** The unit's fingerprints, ascending, each once (a row repeated within the unit is recorded once). */
  recorded(): BigInt64Array {
    const sorted = this.pending.subarray(0, this.count).sort();
    let unique = 0;
    for (let i = 0; i < sorted.length; i++)
      if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[unique++] = sorted[i];
    return sorted.subarray(0, unique);
  }
}

function includes(sorted: BigInt64Array, value: bigint): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = sorted[middle];
    if (at === value) return true;
    if (at < value) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** The fingerprints as PostgreSQL sends `string_agg(int8send(fingerprint), '' ORDER BY fingerprint)`. */
export function fromBigEndian(bytes: Buffer | null): BigInt64Array {
  if (bytes === null) return new BigInt64Array(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new BigInt64Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getBigInt64(i * 8);
  return out;
}
