import { randomInt } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A query's answer, as JSON records, read page by page. */
export interface PageSource {
  readonly totalSize: number;
  /** Records [offset, offset + count), or fewer at the end. */
  read(offset: number, count: number): readonly string[];
}

/** An answer computed whole (EventLogFile, the standard objects: thousands of records). */
export function arraySource(records: readonly string[]): PageSource {
  return { totalSize: records.length, read: (offset, count) => records.slice(offset, offset + count) };
}

/**
 * An answer produced as it is read (a big object's window, up to a burst of millions): only the
 * generator's state and the last page are held. A client reads pages in order; asking again for the
 * last page (a retry after a broken answer) replays it, and any other offset starts over and skips.
 */
export function streamSource(totalSize: number, open: () => Iterator<string>): PageSource {
  let iterator = open();
  let position = 0;
  let last = { offset: -1, records: [] as string[] };
  return {
    totalSize,
    read(offset, count) {
      if (offset === last.offset) return last.records;
      if (offset !== position) {
        iterator = open();
        position = 0;
        while (position < offset && iterator.next().done !== true) position++;
      }
      const records: string[] = [];
      while (records.length < count) {
        const next = iterator.next();
        if (next.done === true) break;
        records.push(next.value);
      }
      last = { offset, records };
      position = offset + records.length;
      return records;
    },
  };
}

/** A query's answer, kept server-side while the client pages through it. */
export interface Locator {
  id: string;
  source: PageSource;
  /** The sObject queried, for faults that target one. */
  object: string;
  pageSize: number;
  lastUsed: number;
}

/**
 * Query cursors. Like Salesforce's, a cursor dies after a while without use, and a user holds only a
 * few at once: opening one more silently drops the oldest, whose next page then answers
 * INVALID_QUERY_LOCATOR. A collector must read its pages promptly, one query at a time.
 */
export class QueryLocators {
  private readonly open = new Map<string, Locator>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxOpen: number,
    private readonly now: () => number,
  ) {}

  create(source: PageSource, object: string, pageSize: number): Locator {
    this.forgetExpired();
    while (this.open.size >= this.maxOpen) {
      const oldest = this.open.keys().next().value as string;
      this.open.delete(oldest);
    }
    let id = "01g";
    for (let i = 0; i < 15; i++) id += BASE62[randomInt(62)];
    const locator = { id, source, object, pageSize, lastUsed: this.now() };
    this.open.set(id, locator);
    return locator;
  }

  /** The sObject an open locator reads, without using it. */
  objectOf(id: string): string | undefined {
    return this.open.get(id)?.object;
  }

  /** The locator if it is still open; using it keeps it alive. */
  use(id: string): Locator | undefined {
    this.forgetExpired();
    const locator = this.open.get(id);
    if (locator !== undefined) {
      locator.lastUsed = this.now();
      // Most recently used last, so the oldest to drop is always first.
      this.open.delete(id);
      this.open.set(id, locator);
    }
    return locator;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [id, locator] of this.open) if (now - locator.lastUsed >= this.ttlMs) this.open.delete(id);
  }
}

/**
 * One page of a query answer as JSON: totalSize counts the whole answer on every page, and
 * nextRecordsUrl appears only while done is false.
 */
export function queryPage(
  source: PageSource,
  offset: number,
  pageSize: number,
  next: (offset: number) => string,
): string {
  const records = source.read(offset, pageSize);
  const end = offset + records.length;
  const done = records.length < pageSize || end >= source.totalSize;
  const more = done ? "" : `"nextRecordsUrl":${JSON.stringify(next(end))},`;
  return `{"totalSize":${source.totalSize},"done":${done},${more}"records":[${records.join(",")}]}`;
}

/**
 * The first page as a whole answer: `done` with no nextRecordsUrl, while totalSize still counts every
 * match. Collectors report big-object answers like this (docs/simulator.md, `query.big_object_locators`).
 */
export function truncatedPage(source: PageSource, pageSize: number): string {
  const records = source.read(0, pageSize);
  return `{"totalSize":${source.totalSize},"done":true,"records":[${records.join(",")}]}`;
}
