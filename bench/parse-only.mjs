import { createReadStream } from "node:fs";
import parseCsv from "csv-simple-parser";
import { inferSchema, initParser } from "udsv";

/**
 * The baseline: the fastest RFC 4180 parse the Node ecosystem offers, on the files replay reads, read
 * the way replay reads them (a file stream in 64 KiB chunks, decoded as UTF-8), rows counted and
 * nothing else. Run as its own process: `node bench/parse-only.mjs <parser> FILE...`; prints
 * {"rows":...,"bytes":...} on standard output.
 */

/** createReadStream's default highWaterMark, which replay reads with. */
const READ_CHUNK_BYTES = 64 * 1024;
const QUOTE = 34;
const LF = 10;

async function* textChunks(path) {
  const decoder = new TextDecoder("utf-8");
  for await (const bytes of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
    yield decoder.decode(bytes, { stream: true });
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

/** uDSV has an incremental API: it keeps the unfinished record of a chunk for the next one. */
async function udsvRows(path) {
  let parser;
  let rows = 0;
  const count = () => {
    rows++;
  };
  for await (const text of textChunks(path)) {
    parser ??= initParser(inferSchema(text, { col: ",", row: "\n", encl: '"' }));
    parser.chunk(text, parser.stringArrs, count);
  }
  parser?.end();
  return rows;
}

/**
 * csv-simple-parser only parses whole strings, so the text is cut after the last complete record of
 * each chunk: a line feed right after a closing quote, found by following quote parity (every value
 * of an Event Log File is quoted). That scan is the price of streaming with this parser.
 */
async function csvSimpleParserRows(path) {
  let rows = -1; // the header is not a row
  let pending = "";
  let scanned = 0; // `pending` before this offset is inside the current record, quotes balanced
  let inQuotes = false;
  for await (const text of textChunks(path)) {
    pending += text;
    let cut = -1;
    for (let q = pending.indexOf('"', scanned); q !== -1; q = pending.indexOf('"', q + 1)) {
      inQuotes = !inQuotes;
      if (!inQuotes && pending.charCodeAt(q + 1) === LF) cut = q + 1;
    }
    // A quote at the very end may open a doubled quote: leave it for the next chunk.
    if (pending.charCodeAt(pending.length - 1) === QUOTE) inQuotes = !inQuotes;
    if (cut === -1) {
      scanned = pending.length - (pending.charCodeAt(pending.length - 1) === QUOTE ? 1 : 0);
      continue;
    }
    // Without its final line feed: the parser reads one as the start of an empty row.
    rows += parseCsv(pending.slice(0, cut), { header: false, infer: false }).length;
    pending = pending.slice(cut + 1);
    scanned = pending.length - (pending.charCodeAt(pending.length - 1) === QUOTE ? 1 : 0);
  }
  const last = pending.endsWith("\n") ? pending.slice(0, -1) : pending;
  if (last.length > 0) rows += parseCsv(last, { header: false, infer: false }).length;
  return rows;
}

const PARSERS = { udsv: udsvRows, "csv-simple-parser": csvSimpleParserRows };

const [name, ...paths] = process.argv.slice(2);
const parse = PARSERS[name];
if (parse === undefined || paths.length === 0) {
  process.stderr.write(`usage: node bench/parse-only.mjs <${Object.keys(PARSERS).join("|")}> FILE...\n`);
  process.exit(2);
}
let rows = 0;
for (const path of paths) rows += await parse(path);
process.stdout.write(`${JSON.stringify({ rows })}\n`);
