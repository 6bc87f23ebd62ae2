/**
 * A streaming RFC 4180 reader tuned for Event Log Files.
 *
 * Salesforce quotes every value, so the hot path is "find the closing quote with indexOf and slice";
 * unquoted values are accepted too. Text arrives in chunks of any size and each chunk is scanned once:
 * the unfinished record at a chunk's end is kept as pieces (its fields, the current value's parts)
 * and the scan resumes in the next chunk where it stopped, so time is linear in the input however
 * large one record is and however many chunks it spans.
 *
 * What it accepts: quoted line breaks, doubled quotes, CRLF or LF (also mixed), a missing final line
 * break, blank lines (skipped). What it reports instead of throwing: an unterminated quote at the end
 * of the input, characters after a closing quote, and records longer than `maxRecordChars` (their
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
  /** The record's length in characters as written, without its line break, when that is the problem. */
  chars?: number;
}

export interface CsvHandlers {
  /**
   * One record; `line` is the 1-based line where it starts (quoted line breaks count). `plain`: no
   * value holds a character JSON escapes nor U+FFFD, as most records of Event Log Files (false
   * when unsure, as for a record that spans chunks).
   */
  record(fields: string[], line: number, plain: boolean): void;
  problem(problem: CsvProblem): void;
}

export interface CsvParserOptions {
  /** A record longer than this is reported and dropped rather than held in memory. */
  maxRecordChars?: number;
}

/**
 * The longest record kept, in characters (UTF-16 code units) as written: far above anything Salesforce
 * writes and above Sekoia.io's 250,000 characters an event, low enough that a few files in flight
 * each holding one such record fit in memory.
 */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;
const EXCERPT_CHARS = 200;
/**
 * In a record's text as written: what a value JSON escapes would hold (a line break inside a quoted
 * value included), or the decoder's U+FFFD. Quotes are left out: the text's own are delimiters, and
 * a value's are doubled, which the scan notes. One test a record costs less than one a value.
 */
const NOT_PLAIN = /[\\\u0000-\u001f\ud800-\udfff\ufffd]/;

/** Where the scan stands when a chunk ends. */
const FIELD_START = 0;
const QUOTED = 1;
/** The chunk ended on a quote inside a quoted value: a closing quote, or the first of a doubled one. */
const QUOTE_AT_END = 2;
const UNQUOTED = 3;
/** After a closing quote, before the delimiter: any character here makes the record malformed. */
const AFTER_QUOTE = 4;
type ScanState =
  | typeof FIELD_START
  | typeof QUOTED
  | typeof QUOTE_AT_END
  | typeof UNQUOTED
  | typeof AFTER_QUOTE;

export class CsvParser {
  private readonly handlers: CsvHandlers;
  private readonly maxRecordChars: number;
  private state: ScanState = FIELD_START;
  /** Fields of the current record completed so far. */
  private fields: string[] = [];
  /** The current value as decoded so far, when it began in an earlier chunk or had doubled quotes. */
  private pieces: string[] = [];
  private malformed: string | undefined;
  /** The current record has a doubled quote: a value holds a quote. */
  private doubledQuote = false;
  /** Line number of the current record. */
  private line = 1;
  /** What the current record had in earlier chunks: its length, its line feeds, its first characters. */
  private carriedChars = 0;
  private carriedLineFeeds = 0;
  private carriedHead = "";
  /** The previous chunk ended a record on a CR: a LF opening this one belongs to it. */
  private pendingLf = false;
  /** In the chunk being scanned: the first LF after those counted (its length if none), or -1. */
  private nextLf = -1;

  constructor(handlers: CsvHandlers, options: CsvParserOptions = {}) {
    this.handlers = handlers;
    this.maxRecordChars = options.maxRecordChars ?? MAX_RECORD_CHARS;
  }

  /**
   * Characters of the unfinished record held between chunks (its fields and current value; the
   * excerpt kept for a report aside): never more than `maxRecordChars`.
   */
  get heldChars(): number {
    let held = 0;
    for (const field of this.fields) held += field.length;
    for (const piece of this.pieces) held += piece.length;
    return held;
  }

  write(chunk: string): void {
    const s = chunk;
    const len = s.length;
    if (len === 0) return;
    let pos = 0;
    if (this.pendingLf) {
      this.pendingLf = false;
      if (s.charCodeAt(0) === LF) pos = 1;
    }
    this.nextLf = -1;
    /** Where the current record starts in this chunk: 0 when it began in an earlier one. */
    let recordStart = pos;
    let state = this.state;
    const pieces = this.pieces;

    while (pos < len) {
      let value: string;
      let next: number; // the delimiter after the value
      if (state === FIELD_START) {
        if (s.charCodeAt(pos) === QUOTE) {
          state = QUOTED;
          pos++;
        } else state = UNQUOTED;
      }
      if (state === QUOTE_AT_END) {
        if (s.charCodeAt(pos) === QUOTE) {
          pieces.push('"');
          this.doubledQuote = true;
          state = QUOTED;
          pos++;
        } else state = AFTER_QUOTE;
      }
      if (state === QUOTED) {
        let scan = pos;
        let q = s.indexOf('"', scan);
        while (q !== -1 && q + 1 < len && s.charCodeAt(q + 1) === QUOTE) {
          this.doubledQuote = true;
          pieces.push(s.slice(scan, q + 1));
          scan = q + 2;
          q = s.indexOf('"', scan);
        }
        if (q === -1 || q + 1 === len) {
          // Unfinished, or a quote that may be the first of a doubled one: the next chunk says.
          pieces.push(s.slice(scan, q === -1 ? len : q));
          if (q !== -1) state = QUOTE_AT_END;
          pos = len;
          break;
        }
        value = pieces.length === 0 ? s.slice(scan, q) : takeValue(pieces, s.slice(scan, q));
        pos = q + 1;
        state = AFTER_QUOTE;
        const c = s.charCodeAt(pos);
        if (c === COMMA || c === LF || c === CR) {
          next = pos;
        } else {
          pieces.push(value);
          continue;
        }
      } else {
        // UNQUOTED or AFTER_QUOTE: the value runs to the next delimiter.
        let end = pos;
        while (end < len) {
          const d = s.charCodeAt(end);
          if (d === COMMA || d === LF || d === CR) break;
          if (d === QUOTE && state === UNQUOTED) this.malformed ??= "a quote inside an unquoted value";
          end++;
        }
        if (end > pos && state === AFTER_QUOTE) this.malformed ??= "characters after a closing quote";
        if (end === len) {
          pieces.push(s.slice(pos, len));
          pos = len;
          break;
        }
        value = pieces.length === 0 ? s.slice(pos, end) : takeValue(pieces, s.slice(pos, end));
        next = end;
      }

      this.fields.push(value);
      state = FIELD_START;
      pos = next + 1;
      if (s.charCodeAt(next) === COMMA) continue;
      // End of record: LF, CRLF, or a lone CR.
      this.emit(s, recordStart, next);
      if (s.charCodeAt(next) === CR) {
        if (pos === len) this.pendingLf = true;
        else if (s.charCodeAt(pos) === LF) pos++;
      }
      recordStart = pos;
    }

    this.state = state;
    if (recordStart < len) this.carry(s, recordStart);
  }

  /** The input is complete: flush the last record (a missing final line break is fine). */
  end(): void {
    const state = this.state;
    if (state === QUOTED) {
      this.handlers.problem({
        line: this.line,
        reason: "unterminated quoted value at the end of the file",
        excerpt: this.carriedHead,
      });
    } else if (state !== FIELD_START || this.carriedChars > 0) {
      // "a,b<EOF>" has its last value in `pieces`; "a,<EOF>" has one more, empty.
      this.fields.push(takeValue(this.pieces, ""));
      this.emit("", 0, 0);
    }
    this.state = FIELD_START;
    this.fields = [];
    this.pieces.length = 0;
    this.malformed = undefined;
    this.doubledQuote = false;
    this.forgetCarried();
    this.pendingLf = false;
  }

  /** Keeps what the next chunk needs of the record left unfinished at `s[start..]`. */
  private carry(s: string, start: number): void {
    this.carriedChars += s.length - start;
    this.carriedLineFeeds += this.countLineFeeds(s, start, s.length);
    if (this.carriedHead.length < EXCERPT_CHARS)
      this.carriedHead += s.slice(start, start + EXCERPT_CHARS - this.carriedHead.length);
    if (this.carriedChars > this.maxRecordChars) {
      // Too large to keep: it will be reported, so its content is dropped while its end is sought.
      this.fields.length = 0;
      this.pieces.length = 0;
    }
  }

  private forgetCarried(): void {
    this.carriedChars = 0;
    this.carriedLineFeeds = 0;
    this.carriedHead = "";
  }

  /** The record ending at `s[end]` (its line break) and starting at `s[start]` or in an earlier chunk. */
  private emit(s: string, start: number, end: number): void {
    const fields = this.fields;
    const malformed = this.malformed;
    const line = this.line;
    const chars = this.carriedChars + end - start;
    this.line += this.carriedLineFeeds + this.countLineFeeds(s, start, end) + 1;
    this.fields = [];
    this.malformed = undefined;
    if (chars > this.maxRecordChars) {
      this.handlers.problem({
        line,
        reason: `record of ${chars} characters, longer than ${this.maxRecordChars} characters (the reader's limit)`,
        excerpt: this.excerpt(s, start, end),
        chars,
      });
    } else if (malformed !== undefined) {
      this.handlers.problem({ line, reason: malformed, excerpt: this.excerpt(s, start, end) });
    } else if (fields.length > 1 || fields[0] !== "") {
      // A blank line is not a record. A record begun in an earlier chunk is not all in `s`.
      const plain = !this.doubledQuote && this.carriedChars === 0 && !NOT_PLAIN.test(s.slice(start, end));
      this.handlers.record(fields, line, plain);
    }
    this.doubledQuote = false;
    if (this.carriedChars > 0) this.forgetCarried();
  }

  /** The start of the record as written: what earlier chunks had of it, then this chunk's part. */
  private excerpt(s: string, start: number, end: number): string {
    const head = this.carriedHead;
    if (head.length >= EXCERPT_CHARS) return head;
    return head + s.slice(start, Math.min(end, start + EXCERPT_CHARS - head.length));
  }

  /**
   * Line feeds in `s[start..end)`. Records are counted in order, so the next line feed found is kept:
   * a chunk with few of them (or lone CRs for line breaks) is searched once, not once per record.
   */
  private countLineFeeds(s: string, start: number, end: number): number {
    let i = this.nextLf < start ? lineFeedAt(s, start) : this.nextLf;
    let n = 0;
    while (i < end) {
      n++;
      i = lineFeedAt(s, i + 1);
    }
    this.nextLf = i;
    return n;
  }
}

/** The first LF at or after `from`, or the end of `s` when there is none. */
function lineFeedAt(s: string, from: number): number {
  const i = s.indexOf("\n", from);
  return i === -1 ? s.length : i;
}

/** The decoded value: its pieces from earlier chunks (or before doubled quotes), then `last`. */
function takeValue(pieces: string[], last: string): string {
  if (pieces.length === 0) return last;
  pieces.push(last);
  const value = pieces.join("");
  pieces.length = 0;
  return value;
}
