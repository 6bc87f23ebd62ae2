import { type ChunkBuffers, csvEscape, csvLine } from "./csv-body.js";
import type { EventRowFactory } from "./rows.js";

/**
 * The rows of a file of a declared size (several GB for the benchmark), generated while they stream.
 *
 * Speed comes from templates: a pool of rows is built once with the full generator, each split into
 * its fixed text and the three columns that change from row to row (TIMESTAMP, TIMESTAMP_DERIVED,
 * REQUEST_ID). A streamed row is a pool row with fresh values in those three slots, so the sessions,
 * users and addresses are as consistent as in any other file, at the cost of a few string joins.
 *
 * Size: rows are emitted while what remains leaves room for the closing row; the closing row pads
 * its `padColumn` value with "x" to end the file on exactly the declared byte.
 */

const POOL_SIZE = 512;
const REQUEST_ID_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

interface Template {
  values: string[];
  /** Encoded text around the slots: fixed[0] slot fixed[1] slot fixed[2] slot fixed[3]. */
  fixedBytes: Buffer[];
  /** Which value goes in each slot, in line order: 0 TIMESTAMP, 1 TIMESTAMP_DERIVED, 2 REQUEST_ID. */
  slots: number[];
  /** The line's length in bytes without its slot values. */
  bytes: number;
  /** The first 16 characters of the template's REQUEST_ID; the row's index makes the last 6. */
  requestIdPrefix: Buffer;
}

/** TIMESTAMP (18 characters), TIMESTAMP_DERIVED (24) and REQUEST_ID (22): the same length in every row. */
const SLOT_BYTES = 18 + 24 + 22;

/** One row of the walk (reused from row to row: read it before asking for the next). */
interface PlannedRow {
  template: Template;
  time: number;
  index: number;
  bytes: number;
  /** Set on the last row only: its values, padded to the exact size. */
  closing: string[] | undefined;
}

export class DeclaredSizeFile {
  private readonly templates: Template[];
  private readonly columnIndex: [number, number, number];
  private readonly headerLine: string;

  constructor(
    private readonly factory: EventRowFactory,
    readonly bytes: number,
    private readonly from: number,
    private readonly to: number,
  ) {
    const header = factory.header;
    this.headerLine = csvLine(header);
    this.columnIndex = [
      header.indexOf("TIMESTAMP"),
      header.indexOf("TIMESTAMP_DERIVED"),
      header.indexOf("REQUEST_ID"),
    ];
    if (this.columnIndex.includes(-1) || factory.padIndex < 0) {
      throw new Error(`${factory.schema.eventType} cannot be generated as a file of a declared size`);
    }
    this.templates = [];
    for (let k = 0; k < POOL_SIZE; k++) {
      this.templates.push(this.template(factory.rowAt(from + Math.floor(((to - from) * k) / POOL_SIZE), k)));
    }
    const smallest = Buffer.byteLength(this.headerLine) + this.closingRowBytes();
    if (bytes < smallest) {
      throw new Error(
        `A ${factory.schema.eventType} file must declare at least ${smallest} bytes (header and one row); ${bytes} was declared.`,
      );
    }
  }

  /** Every row's values, in order (the ground truth; the body does not go through values). */
  *rows(): Generator<string[]> {
    const clock = new Clock();
    for (const row of this.walk()) {
      if (row.closing !== undefined) {
        yield row.closing;
        return;
      }
      clock.set(row.time);
      const values = row.template.values.slice();
      values[this.columnIndex[0]] = clock.timestamp();
      values[this.columnIndex[1]] = clock.derived();
      values[this.columnIndex[2]] = row.template.requestIdPrefix.toString("latin1") + sixDigits(row.index);
      yield values;
    }
  }

  /**
   * The whole file (header included) in chunks of about `buffers.bytes`, filled in buffers taken
   * from `buffers`. A row is its template's pre-encoded bytes with the three slots written in place,
   * byte by byte: no string per row.
   */
  *chunks(buffers: ChunkBuffers): Generator<Buffer> {
    yield Buffer.from(this.headerLine);
    const clock = new Clock();
    let chunk = buffers.take();
    let at = 0;
    for (const row of this.walk()) {
      if (row.closing !== undefined) {
        if (at > 0) yield buffers.lend(chunk, at);
        yield Buffer.from(csvLine(row.closing));
        return;
      }
      if (at + row.bytes > chunk.length) {
        if (at > 0) yield buffers.lend(chunk, at);
        // A row longer than a chunk (none of the templates is) gets a buffer of its own.
        chunk = row.bytes > buffers.bytes ? Buffer.allocUnsafe(row.bytes) : buffers.take();
        at = 0;
      }
      clock.set(row.time);
      const { fixedBytes, slots, requestIdPrefix } = row.template;
      chunk.set(fixedBytes[0], at);
      at += fixedBytes[0].length;
      for (let s = 0; s < 3; s++) {
        const slot = slots[s];
        if (slot === 0) at = clock.writeTimestamp(chunk, at);
        else if (slot === 1) at = clock.writeDerived(chunk, at);
        else {
          chunk.set(requestIdPrefix, at);
          at = writeSixDigits(chunk, at + requestIdPrefix.length, row.index);
        }
        chunk.set(fixedBytes[s + 1], at);
        at += fixedBytes[s + 1].length;
      }
    }
  }

  /** The rows' plan: each row's template and time, then the padded closing row. */
  private *walk(): Generator<PlannedRow> {
    let remaining = this.bytes - Buffer.byteLength(this.headerLine);
    const closingBytes = this.closingRowBytes();
    const averageBytes =
      this.templates.reduce((sum, t) => sum + t.bytes, 0) / this.templates.length + SLOT_BYTES;
    const expectedRows = Math.max(1, Math.ceil(remaining / averageBytes));
    const span = this.to - 1 - this.from;
    const row: PlannedRow = { template: this.templates[0], time: 0, index: 0, bytes: 0, closing: undefined };
    for (let i = 0; ; i++) {
      // 9 bits of a multiplicative hash: a pool index (POOL_SIZE = 512) that does not repeat in runs.
      const template = this.templates[Math.imul(i, 0x9e3779b1) >>> 23];
      const bytes = template.bytes + SLOT_BYTES;
      if (remaining - bytes < closingBytes) break;
      remaining -= bytes;
      row.template = template;
      row.time = this.from + Math.min(span, Math.floor((span * i) / expectedRows));
      row.index = i;
      row.bytes = bytes;
      yield row;
    }
    row.closing = this.closingValues(remaining - closingBytes);
    yield row;
  }

  get header(): string {
    return this.headerLine;
  }

  /** The last row, its pad column lengthened by `pad` characters. */
  private closingValues(pad: number): string[] {
    const values = this.factory.rowAt(this.to - 1, -1);
    values[this.factory.padIndex] += "x".repeat(pad);
    return values;
  }

  private closingRowBytes(): number {
    return Buffer.byteLength(csvLine(this.closingValues(0)));
  }

  private template(values: string[]): Template {
    const order = this.columnIndex
      .map((column, slot) => ({ column, slot }))
      .sort((a, b) => a.column - b.column);
    const fixed: string[] = [];
    let start = 0;
    for (const { column } of order) {
      fixed.push(encodeRange(values, start, column));
      start = column + 1;
    }
    fixed.push(encodeRange(values, start, values.length));
    const fixedBytes = fixed.map((text) => Buffer.from(text));
    const bytes = fixedBytes.reduce((sum, b) => sum + b.length, 0);
    const requestIdPrefix = Buffer.from(values[this.columnIndex[2]].slice(0, 16), "latin1");
    return { values, fixedBytes, slots: order.map((o) => o.slot), bytes, requestIdPrefix };
  }
}

/**
 * The CSV text of values [start, end) with the quotes and commas around them, such that the full
 * line is fixed[0] + slot + fixed[1] + ... : each fixed part ends just inside the slot's opening
 * quote and starts just after its closing quote.
 */
function encodeRange(values: string[], start: number, end: number): string {
  if (start > 0 && start === values.length) return '"\n';
  let text = start === 0 ? '"' : '","';
  for (let i = start; i < end; i++) text += (i === start ? "" : '","') + csvEscape(values[i]);
  if (end === values.length) return `${text}"\n`;
  return start === end ? text : `${text}","`;
}

/** i in 6 base-64 digits: with the template's 16 first characters, a REQUEST_ID unique to the row. */
function sixDigits(i: number): string {
  let out = "";
  for (let d = 5; d >= 0; d--) out += REQUEST_ID_DIGITS[(i >>> (6 * d)) & 63];
  return out;
}

function writeSixDigits(chunk: Buffer, at: number, i: number): number {
  for (let d = 5; d >= 0; d--) chunk[at++] = REQUEST_ID_CODES[(i >>> (6 * d)) & 63];
  return at;
}

const REQUEST_ID_CODES = Buffer.from(REQUEST_ID_DIGITS, "latin1");
const ZERO = 48;
const Z = 90;

/** TIMESTAMP and TIMESTAMP_DERIVED of increasing times, formatting the date once per second. */
class Clock {
  private second = Number.NaN;
  private ms = 0;
  /** "yyyyMMddHHmmss." and "yyyy-MM-ddTHH:mm:ss." of the current second. */
  private compact = Buffer.alloc(15);
  private iso = Buffer.alloc(20);

  set(t: number): void {
    const second = Math.floor(t / 1000);
    this.ms = t - second * 1000;
    if (second === this.second) return;
    this.second = second;
    const iso = new Date(second * 1000).toISOString();
    this.iso = Buffer.from(iso.slice(0, 20), "latin1");
    this.compact = Buffer.from(
      `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.`,
      "latin1",
    );
  }

  timestamp(): string {
    return this.compact.toString("latin1") + String(this.ms).padStart(3, "0");
  }

  derived(): string {
    return `${this.iso.toString("latin1")}${String(this.ms).padStart(3, "0")}Z`;
  }

  writeTimestamp(chunk: Buffer, at: number): number {
    chunk.set(this.compact, at);
    return this.writeMs(chunk, at + 15);
  }

  writeDerived(chunk: Buffer, at: number): number {
    chunk.set(this.iso, at);
    const end = this.writeMs(chunk, at + 20);
    chunk[end] = Z;
    return end + 1;
  }

  private writeMs(chunk: Buffer, at: number): number {
    const ms = this.ms;
    chunk[at] = ZERO + Math.floor(ms / 100);
    chunk[at + 1] = ZERO + (Math.floor(ms / 10) % 10);
    chunk[at + 2] = ZERO + (ms % 10);
    return at + 3;
  }
}
