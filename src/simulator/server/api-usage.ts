const DAY_MS = 86_400_000;

/**
 * The org's daily API allowance (DailyApiRequests). Every authenticated REST call spends one request;
 * once none is left, calls answer 403 REQUEST_LIMIT_EXCEEDED until the allowance comes back at
 * simulated midnight UTC. Salesforce counts over a rolling 24 hours; a fixed day is easier to reason
 * about in tests and no more lenient for a collector that runs all day.
 */
export class ApiUsage {
  private used = 0;
  private day: number;

  constructor(
    readonly max: number,
    private readonly now: () => number,
  ) {
    this.day = Math.floor(now() / DAY_MS);
  }

  private rollOver(): void {
    const today = Math.floor(this.now() / DAY_MS);
    if (today !== this.day) {
      this.day = today;
      this.used = 0;
    }
  }

  /** Spends one request; false when the allowance is already spent. */
  spend(): boolean {
    this.rollOver();
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  get spent(): number {
    this.rollOver();
    return this.used;
  }

  /** For tests and the admin route: pretend `used` requests were already made today. */
  set(used: number): void {
    this.rollOver();
    this.used = Math.max(0, Math.min(this.max, Math.floor(used)));
  }

  /** The Sforce-Limit-Info header's value. */
  header(): string {
    return `api-usage=${this.spent}/${this.max}`;
  }
}
