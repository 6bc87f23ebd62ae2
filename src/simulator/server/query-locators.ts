import { randomInt } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A query's full answer, kept server-side while the client pages through it. */
export interface Locator {
  id: string;
  /** Each record already written as JSON. */
  records: readonly string[];
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

  create(records: readonly string[], pageSize: number): Locator {
    this.forgetExpired();
    while (this.open.size >= this.maxOpen) {
      const oldest = this.open.keys().next().value as string;
      this.open.delete(oldest);
    }
    let id = "01g";
    for (let i = 0; i < 15; i++) id += BASE62[randomInt(62)];
    const locator = { id, records, pageSize, lastUsed: this.now() };
    this.open.set(id, locator);
    return locator;
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
  records: readonly string[],
  offset: number,
  pageSize: number,
  next: (offset: number) => string,
): string {
  const end = Math.min(records.length, offset + pageSize);
  const done = end >= records.length;
  const more = done ? "" : `"nextRecordsUrl":${JSON.stringify(next(end))},`;
  return `{"totalSize":${records.length},"done":${done},${more}"records":[${records.slice(offset, end).join(",")}]}`;
}
