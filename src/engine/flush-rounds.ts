/**
 * Group commit for acknowledgements. A unit is acknowledged by a flush of every output that began
 * after its last row was written; one such flush serves every unit that finished while the previous
 * one ran. With small units this turns one fsync and one intake round trip per unit into one per
 * round, while the guarantee stays the same.
 */
export class FlushRounds {
  private waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly flushAll: () => Promise<void>) {}

  /** Resolves once a flush that started after this call has succeeded; rejects if it failed. */
  acknowledge(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const round = this.waiting;
      this.waiting = [];
      try {
        await this.flushAll();
        for (const w of round) w.resolve();
      } catch (err) {
        for (const w of round) w.reject(err);
      }
    }
    this.running = false;
  }
}
