import type { Logger } from "../observability/logger.js";

/** What the log lines of an outage say; each caller names its own server. */
export interface OutageMessages {
  /** Warning, at the first retry. */
  began: string;
  /** Debug, at each retry after it. */
  retrying: string;
  /** Info, when a request gets through again. */
  ended: string;
}

/**
 * A run of failed attempts against one server, logged as one incident: a warning when retries
 * begin, an info line when a request gets through again, and nothing above debug level at the
 * retries in between, so that an outage of an hour is two lines, not hundreds.
 */
export class OutageLog {
  private outage: { since: number; retries: number } | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly messages: OutageMessages,
    /** Fields every line carries: which request or endpoint. */
    private readonly about: Record<string, unknown>,
  ) {}

  /** A failed attempt is about to be retried; `fields` say why and when. */
  retrying(fields: Record<string, unknown>): void {
    const line = { ...this.about, ...fields };
    if (this.outage) {
      this.outage.retries++;
      this.logger.debug(line, this.messages.retrying);
      return;
    }
    this.outage = { since: Date.now(), retries: 1 };
    this.logger.warn(line, this.messages.began);
  }

  /** A request got through: ends the outage, if one was going on. */
  recovered(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    this.logger.info(
      { ...this.about, retries: outage.retries, seconds: Math.round((Date.now() - outage.since) / 1000) },
      this.messages.ended,
    );
  }
}
