/**
 * A streaming RFC 4180 reader tuned for Event Log Files.
 *
 * Salesforce quotes every value, so the hot path is "find the closing quote with indexOf and slice";
 * unquoted values are accepted too. Text arrives in chunks of any size: a record cut by a chunk
 * boundary is resumed where it stopped, so a 10 MB value costs one pass, not one per chunk.
 *
 * What it accepts: quoted line breaks, doubled quotes, CRLF or LF (also mixed), a missing final line
 * break, blank lines (skipped). What it reports instead of throwing: an unterminated quote at the end
 * of the input, characters after a closing quote, and records larger than `maxRecordChars` (their
 * content is dropped while scanning goes on, so memory stays bounded and the next record is found).
 */

const QUOTE = 34; // "
const COMMA = 44; // ,
const LF = 10;
const CR = 13;

export interface CsvProblem {
  /** 1-based line number of the first line of the record. */
  line: number;
  reason: string;
  /** The start of the record as written, cut to a readable length. */
  excerpt: string;
}

export interface CsvHandlers {
  /** One record; `line` is the 1-based line where it starts (quoted line breaks count). */
  record(fields: string[], line: number): void;
  problem(problem: CsvProblem): void;
}

export interface CsvParserOptions {
  /** A record longer than this is reported and dropped rather than held in memory. */
  maxRecordChars?: number;
}

const DEFAULT_MAX_RECORD_CHARS = 64 * 1024 * 1024;
const EXCERPT_CHARS = 200;

export class CsvParser {
  private readonly handlers: CsvHandlers;
  private readonly maxRecordChars: number;
  /** Unconsumed text; always starts at the beginning of the current record. */
  private buf = "";
  /** Fields of the current record completed so far. */
  private fields: string[] = [];
  /** Offset in `buf` where the current field starts. */
  private fieldStart = 0;
  /** Inside a quoted field: the value decoded so far (up to `quoteScan`) and where to resume. */
  private quotedValue = "";
  private quoteScan = -1;
  /** Line number of the record in `buf`. */
  private line = 1;
  /** Set while the current record is too large to keep: its text is scanned but not stored. */
  private oversize = false;
  private oversizeExcerpt = "";
  private oversizeLines = 0;

  constructor(handlers: CsvHandlers, options: CsvParserOptions = {}) {
    this.handlers = handlers;
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  }

  write(chunk: string): void {
    if (chunk.length === 0) return;
    this.buf = this.buf.length === 0 ? chunk : this.buf + chunk;
    this.parse(false);
  }

  /** The input is complete: flush the last record (a missing final line break is fine). */
  end(): void {
    this.parse(true);
    if (this.buf.length > 0 || this.fields.length > 0 || this.oversize) {
      const excerpt = this.oversize ? this.oversizeExcerpt : this.buf.slice(0, EXCERPT_CHARS);
      this.handlers.problem({
        line: this.line,
        reason: "unterminated quoted value at the end of the file",
        excerpt,
      });
    }
    this.reset();
  }

  private reset(): void {
    this.buf = "";
    this.fields = [];
    this.fieldStart = 0;
    this.quotedValue = "";
    this.quoteScan = -1;
    this.oversize = false;
  }

  private parse(final: boolean): void {
    const s = this.buf;
    const len = s.length;
    let fields = this.fields;
    let pos = this.fieldStart;
    let recordStart = 0;
    let malformed: string | undefined;

    for (;;) {
      if (pos >= len) {
        // Input exhausted at a field boundary.
        if (final && fields.length > 0) {
          // "a,b<EOF>" already ended its last field; "a,<EOF>" has one more, empty.
          fields.push("");
          this.emit(fields, s, recordStart, len, malformed);
          fields = [];
          recordStart = len;
        }
        this.fieldStart = pos;
        break;
      }
      let value: string;
      let next: number; // index of the delimiter after the field
      if (s.charCodeAt(pos) === QUOTE) {
        let scan = this.quoteScan >= 0 ? this.quoteScan : pos + 1;
        let acc = this.quoteScan >= 0 ? this.quotedValue : "";
        this.quoteScan = -1;
        let closed = -1;
        for (;;) {
          const q = s.indexOf('"', scan);
          if (q === -1 || (q + 1 >= len && !final)) {
            // Incomplete (or a quote that may be the first half of a doubled one): wait for more.
            break;
          }
          if (s.charCodeAt(q + 1) === QUOTE) {
            acc += s.slice(scan, q + 1);
            scan = q + 2;
            continue;
          }
          acc = acc.length === 0 ? s.slice(scan, q) : acc + s.slice(scan, q);
          closed = q;
          break;
        }
        if (closed === -1) {
          this.quotedValue = acc;
          this.quoteScan = scan;
          this.fieldStart = pos;
          break;
        }
        value = acc;
        next = closed + 1;
        if (next < len) {
          const c = s.charCodeAt(next);
          if (c !== COMMA && c !== LF && c !== CR) {
            // `"abc"def`: keep the characters, but the record is not what Salesforce writes.
            let end = next;
            while (end < len) {
              const d = s.charCodeAt(end);
              if (d === COMMA || d === LF || d === CR) break;
              end++;
            }
            if (end >= len && !final) {
              this.quotedValue = "";
              this.fieldStart = pos;
              break;
            }
            malformed ??= "characters after a closing quote";
            value += s.slice(next, end);
            next = end;
          }
        }
      } else {
        let end = pos;
        while (end < len) {
          const d = s.charCodeAt(end);
          if (d === COMMA || d === LF || d === CR) break;
          if (d === QUOTE) malformed ??= "a quote inside an unquoted value";
          end++;
        }
        if (end >= len && !final) {
          this.fieldStart = pos;
          break;
        }
        value = s.slice(pos, end);
        next = end;
      }

      fields.push(value);
      if (next >= len) {
        // Only reachable when final: the last record had no line break.
        this.emit(fields, s, recordStart, len, malformed);
        fields = [];
        recordStart = len;
        pos = len;
        malformed = undefined;
        continue;
      }
      const d = s.charCodeAt(next);
      if (d === COMMA) {
        pos = next + 1;
        continue;
      }
      // End of record: LF, CRLF, or a lone CR.
      let after = next + 1;
      if (d === CR) {
        if (after >= len && !final) {
          // Could be CRLF split across chunks; decide next time.
          fields.pop();
          this.fieldStart = pos;
          break;
        }
        if (after < len && s.charCodeAt(after) === LF) after++;
      }
      this.emit(fields, s, recordStart, next, malformed);
      fields = [];
      malformed = undefined;
      recordStart = after;
      pos = after;
      // Blank lines between records are skipped.
      while (pos < len) {
        const c = s.charCodeAt(pos);
        if (c === LF) {
          this.line++;
          pos++;
        } else if (c === CR && pos + 1 < len) {
          pos += s.charCodeAt(pos + 1) === LF ? 2 : 1;
          this.line++;
        } else break;
      }
      recordStart = pos;
    }

    this.fields = fields;
    this.fieldStart -= recordStart;
    if (this.quoteScan >= 0) this.quoteScan -= recordStart;
    this.buf = recordStart === 0 ? s : s.slice(recordStart);
    if (this.fieldStart < 0) this.fieldStart = 0;
    if (pos >= len && fields.length === 0 && this.quoteScan < 0) {
      this.buf = "";
      this.fieldStart = 0;
    }
    this.guardSize();
  }

  /** Keeps memory bounded: a record that outgrows the limit is dropped, but its end still found. */
  private guardSize(): void {
    if (this.buf.length <= this.maxRecordChars) return;
    if (!this.oversize) {
      this.oversize = true;
      this.oversizeExcerpt = this.buf.slice(0, EXCERPT_CHARS);
      this.oversizeLines = 0;
    }
    // Keep only the tail needed to resume the scan of the current field.
    const keepFrom = this.quoteScan >= 0 ? this.quoteScan : this.fieldStart;
    this.oversizeLines += countLineBreaks(this.buf, 0, keepFrom);
    this.buf = (this.quoteScan >= 0 ? '"' : "") + this.buf.slice(keepFrom);
    this.fieldStart = 0;
    if (this.quoteScan >= 0) {
      this.quoteScan = 1;
      this.quotedValue = "";
    }
    this.fields = [];
  }

  private emit(fields: string[], s: string, start: number, end: number, malformed: string | undefined): void {
    const line = this.line;
    const breaks = countLineBreaks(s, start, end);
    if (this.oversize) {
      this.handlers.problem({
        line,
        reason: `record longer than ${this.maxRecordChars} characters`,
        excerpt: this.oversizeExcerpt,
      });
      this.line += this.oversizeLines + breaks + 1;
      this.oversize = false;
      this.oversizeLines = 0;
      return;
    }
    this.line += breaks + 1;
    if (fields.length === 1 && fields[0] === "" && malformed === undefined) return; // a blank line
    if (malformed !== undefined) {
      this.handlers.problem({
        line,
        reason: malformed,
        excerpt: s.slice(start, Math.min(end, start + EXCERPT_CHARS)),
      });
      return;
    }
    this.handlers.record(fields, line);
  }
}

function countLineBreaks(s: string, start: number, end: number): number {
  let n = 0;
  let i = s.indexOf("\n", start);
  while (i !== -1 && i < end) {
    n++;
    i = s.indexOf("\n", i + 1);
  }
  return n;
}
