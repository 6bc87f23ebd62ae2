import type { Logger } from "../observability/logger.js";

/** Past this difference the two clocks are said to differ: HTTP dates have one-second precision. */
const SKEW_WORTH_SAYING_MS = 60_000;

/**
 * The org's time, read from the `Date` header of its answers. Everything that is measured against
 * the org's data (where a first run starts, what the state may forget, a window's safety lag) must
 * use it: a host whose clock is days off would otherwise find nothing, or forget files the org
 * still lists and send them again.
 */
export class OrgClock {
  /** Org time minus local time, once an answer has said; 0 until then. */
  private offset: number | undefined;
  private told = false;

  constructor(
    private readonly logger: Logger,
    private readonly local: () => number = Date.now,
  ) {}

  /** Records the `Date` header of an answer received just now. */
  observe(dateHeader: string | undefined): void {
    if (dateHeader === undefined) return;
    const orgMs = Date.parse(dateHeader);
    if (Number.isNaN(orgMs)) return;
    const localMs = this.local();
    this.offset = orgMs - localMs;
    if (this.told || Math.abs(this.offset) < SKEW_WORTH_SAYING_MS) return;
    this.told = true;
    this.logger.warn(
      {
        orgTime: new Date(orgMs).toISOString(),
        hostTime: new Date(localMs).toISOString(),
        offsetSeconds: Math.round(this.offset / 1000),
      },
      `The org's clock is ${describeOffset(this.offset)} this host's; sfevents measures the org's data by the org's clock (a first run's start, what the state forgets). Check this host's time (NTP) if the host is the one that is off.`,
    );
  }

  now(): Date {
    return new Date(this.local() + (this.offset ?? 0));
  }
}

function describeOffset(offsetMs: number): string {
  const abs = Math.abs(offsetMs);
  const [amount, unit] =
    abs >= 86_400_000
      ? [abs / 86_400_000, "day"]
      : abs >= 3_600_000
        ? [abs / 3_600_000, "hour"]
        : [abs / 60_000, "minute"];
  const rounded = Math.round(amount * 10) / 10;
  return `${rounded} ${unit}${rounded === 1 ? "" : "s"} ${offsetMs < 0 ? "behind" : "ahead of"}`;
}
