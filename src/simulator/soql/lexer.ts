/**
 * Cuts a SOQL statement into tokens. Words (keywords, field names, date literals such as
 * LAST_N_DAYS:7) keep their spelling; the parser decides what they mean. Literals are decoded here:
 * strings with their backslash escapes, numbers, and unquoted date and dateTime values.
 */
import { errorAt, locate, type SoqlError } from "./errors.js";

export type TokenKind = "word" | "string" | "number" | "date" | "datetime" | "punct" | "eof";

export interface Token {
  kind: TokenKind;
  /** The token as written (a string token includes its quotes). */
  text: string;
  /** 0-based offset of the first character. */
  offset: number;
  /** Decoded value: the string's content, the number, or epoch milliseconds for date and datetime. */
  value?: string | number;
}

/** Backslash escapes SOQL accepts in string literals (\_ and \% are kept for LIKE patterns). */
const STRING_ESCAPES: Record<string, string> = {
  n: "\n",
  N: "\n",
  r: "\r",
  R: "\r",
  t: "\t",
  T: "\t",
  b: "\b",
  B: "\b",
  f: "\f",
  F: "\f",
  '"': '"',
  "'": "'",
  "\\": "\\",
  _: "\\_",
  "%": "\\%",
};

const PUNCTUATION = ["!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ",", ":"];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isWordStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isWordPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_.]/.test(c);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (true) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) {
      tokens.push({ kind: "eof", text: "<EOF>", offset: text.length });
      return tokens;
    }
    const c = text[i];
    if (isWordStart(c)) {
      let end = i + 1;
      while (isWordPart(text[end])) end++;
      // LAST_N_DAYS:7 is one token: the count is glued to the literal's name.
      if (text[end] === ":" && isDigit(text[end + 1])) {
        end += 2;
        while (isDigit(text[end])) end++;
      }
      tokens.push({ kind: "word", text: text.slice(i, end), offset: i });
      i = end;
    } else if (c === "'") {
      i = readString(text, i, tokens);
    } else if (isDigit(c) || ((c === "-" || c === "+") && isDigit(text[i + 1]))) {
      i = readNumberOrDate(text, i, tokens);
    } else {
      const punct = PUNCTUATION.find((p) => text.startsWith(p, i));
      if (punct === undefined) throw noViableAlternative(text, i);
      tokens.push({ kind: "punct", text: punct, offset: i });
      i += punct.length;
    }
  }
}

/** The lexer's own error: Salesforce reports the character's 0-based position, as ANTLR does. */
function noViableAlternative(text: string, at: number): SoqlError {
  const { row, column } = locate(text, at);
  const shown = at < text.length ? text[at] : "<EOF>";
  return errorAt(
    "MALFORMED_QUERY",
    text,
    at,
    `line ${row}:${column - 1} no viable alternative at character '${shown}'`,
    column - 1,
  );
}

function readString(text: string, start: number, tokens: Token[]): number {
  let value = "";
  let i = start + 1;
  while (i < text.length && text[i] !== "'") {
    if (text[i] === "\\") {
      const decoded = STRING_ESCAPES[text[i + 1] ?? ""];
      if (decoded === undefined) {
        const sequence = text.slice(i, i + 2);
        throw errorAt(
          "MALFORMED_QUERY",
          text,
          start,
          `Invalid string literal '${text.slice(start + 1, i + 2)}'. Illegal character sequence '${sequence}' in string literal.`,
        );
      }
      value += decoded;
      i += 2;
    } else {
      value += text[i];
      i++;
    }
  }
  if (i >= text.length) throw noViableAlternative(text, text.length);
  tokens.push({ kind: "string", text: text.slice(start, i + 1), offset: start, value });
  return i + 1;
}

/** Matches `pattern` at `at`, where `d` stands for a digit; returns the offset of the first mismatch or -1. */
function mismatch(text: string, at: number, pattern: string): number {
  for (let k = 0; k < pattern.length; k++) {
    const c = text[at + k];
    if (pattern[k] === "d" ? !isDigit(c) : c !== pattern[k]) return at + k;
  }
  return -1;
}

function readNumberOrDate(text: string, start: number, tokens: Token[]): number {
  if (mismatch(text, start, "dddd-dd-dd") === -1) return readDateOrDateTime(text, start, tokens);
  let i = start + 1;
  while (isDigit(text[i])) i++;
  if (text[i] === "." && isDigit(text[i + 1])) {
    i += 2;
    while (isDigit(text[i])) i++;
  }
  // 12abc is not a number followed by a word: Salesforce's lexer stops at the letter.
  if (isWordPart(text[i])) throw noViableAlternative(text, i);
  const literal = text.slice(start, i);
  tokens.push({ kind: "number", text: literal, offset: start, value: Number(literal) });
  return i;
}

/**
 * YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss[.SSS] followed by Z, +hh:mm, -hh:mm, +hhmm or -hhmm. A dateTime
 * without its zone is a lexer error in Salesforce, as is any stray character.
 */
function readDateOrDateTime(text: string, start: number, tokens: Token[]): number {
  const [year, month, day] = [
    text.slice(start, start + 4),
    text.slice(start + 5, start + 7),
    text.slice(start + 8, start + 10),
  ].map(Number);
  let i = start + 10;
  if (text[i] !== "T") {
    if (isWordPart(text[i])) throw noViableAlternative(text, i);
    const ms = calendarDate(year, month, day);
    if (ms === undefined) throw invalidDate(text, start, text.slice(start, i));
    tokens.push({ kind: "date", text: text.slice(start, i), offset: start, value: ms });
    return i;
  }
  const bad = mismatch(text, i, "Tdd:dd:dd");
  if (bad !== -1) throw noViableAlternative(text, bad);
  const [hours, minutes, seconds] = [
    text.slice(i + 1, i + 3),
    text.slice(i + 4, i + 6),
    text.slice(i + 7, i + 9),
  ].map(Number);
  i += 9;
  let millis = 0;
  if (text[i] === ".") {
    const fractionStart = i + 1;
    i = fractionStart;
    while (isDigit(text[i])) i++;
    if (i === fractionStart) throw noViableAlternative(text, i);
    millis = Math.floor(Number(`0.${text.slice(fractionStart, i)}`) * 1000);
  }
  let offsetMinutes = 0;
  if (text[i] === "Z") {
    i++;
  } else if (text[i] === "+" || text[i] === "-") {
    const sign = text[i] === "+" ? 1 : -1;
    const zone = text[i + 3] === ":" ? "dd:dd" : "dddd";
    const badZone = mismatch(text, i + 1, zone);
    if (badZone !== -1) throw noViableAlternative(text, badZone);
    const hh = Number(text.slice(i + 1, i + 3));
    const mm = Number(text.slice(i + zone.length - 1, i + zone.length + 1));
    offsetMinutes = sign * (hh * 60 + mm);
    i += 1 + zone.length;
  } else {
    throw noViableAlternative(text, i);
  }
  if (isWordPart(text[i])) throw noViableAlternative(text, i);
  const dayMs = calendarDate(year, month, day);
  if (dayMs === undefined || hours > 23 || minutes > 59 || seconds > 59) {
    throw invalidDate(text, start, text.slice(start, i));
  }
  const value = dayMs + ((hours * 60 + minutes - offsetMinutes) * 60 + seconds) * 1000 + millis;
  tokens.push({ kind: "datetime", text: text.slice(start, i), offset: start, value });
  return i;
}

/** Midnight UTC of a calendar day, or undefined for a day that does not exist (2024-02-30). */
function calendarDate(year: number, month: number, day: number): number | undefined {
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
    ? ms
    : undefined;
}

// The wording Salesforce uses for an impossible date is not documented; this one names the literal.
function invalidDate(text: string, offset: number, literal: string): SoqlError {
  return errorAt("MALFORMED_QUERY", text, offset, `invalid date or dateTime literal: ${literal}`);
}
