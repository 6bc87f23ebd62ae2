import type { CycleObserver, CycleReport } from "../core/cycle.js";
import type { DeadLetter } from "../core/dead-letters.js";
import type { WorkUnit } from "../core/source.js";
import { secrets } from "./logger.js";

/** What the status reads from the running collector, when asked. */
export interface StatusReadings {
  /** The org's name: its My Domain host. */
  readonly org: string;
  /** The org's time (SalesforceClient.orgNow): lag is measured by its clock. */
  orgNow(): Date;
  /** The org's API usage from the latest Sforce-Limit-Info header, once one came. */
  apiUsage(): { used: number; max: number } | undefined;
  /** REST API requests sent since the start. */
  apiRequests(): number;
  /** The position of the source's newest delivered unit in the state, read once per source. */
  newestPosition(source: string): Promise<string | undefined>;
  /** The configured outputs, in order. */
  outputs(): readonly { readonly name: string; readonly retries?: number }[];
}

const MINUTE_MS = 60_000;
/** The events-per-minute chart covers the last hour. */
export const CHART_MINUTES = 60;

export interface CycleOutcome {
  /** `ok`: every new unit delivered; `partial`: some units failed; `failed`: the cycle itself failed. */
  outcome: "ok" | "partial" | "failed";
  endedAt: string;
  seconds: number;
  delivered: number;
  rows: number;
  /** What went wrong, when something did: the first failed unit's error or the cycle's. */
  error?: string;
}

export interface SourceStatus {
  id: string;
  /** A cycle runs now. */
  running: boolean;
  /** Seconds from the newest delivered unit's position to the org's now; unknown before any delivery. */
  lagSeconds?: number;
  newestPosition?: string;
  /** Events delivered in each of the last 60 minutes, the oldest first (this host's clock). */
  eventsPerMinute: number[];
  eventsLastHour: number;
  lastCycle?: CycleOutcome;
  deadLetters: number;
}

export interface OutputStatus {
  name: string;
  /** `waiting`: nothing acknowledged yet; `ok`: its last delivery succeeded; `failing`: its last one failed. */
  state: "waiting" | "ok" | "failing";
  eventsDelivered: number;
  retries?: number;
  lastError?: string;
  lastErrorAt?: string;
}

export interface Readiness {
  ready: boolean;
  /** Why not, in a sentence. */
  reason?: string;
}

export interface StatusSnapshot extends Readiness {
  generatedAt: string;
  org: {
    name: string;
    apiRequests: number;
    apiUsage?: { used: number; max: number; ratio: number };
  };
  sources: SourceStatus[];
  outputs: OutputStatus[];
}

interface SourceState {
  running: boolean;
  newest?: string;
  lastCycle?: CycleOutcome;
  deadLetters: number;
  /** Events delivered per minute (minutes since the epoch → events), the last hour only. */
  minutes: Map<number, number>;
}

interface OutputState {
  delivered: number;
  acknowledged: boolean;
  failing: boolean;
  lastError?: string;
  lastErrorAt?: string;
}

/**
 * What the collector is doing, per source and output, as the engine tells it: the source of the
 * status page, `/status.json` and `/readyz`. It only watches; nothing it does can fail a cycle.
 */
export class CollectorStatus implements CycleObserver {
  private readonly sources = new Map<string, SourceState>();
  private readonly outputs = new Map<string, OutputState>();
  private readonly deadLettersBySource = new Map<string, number>();
  /** A source that could not be opened (no cycle of it ever started), until a new source opens. */
  private openFailure: string | undefined;

  constructor(
    private readonly readings: StatusReadings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  cycleStarted(source: string): void {
    let state = this.sources.get(source);
    if (state === undefined) {
      const started: SourceState = { running: false, deadLetters: 0, minutes: new Map() };
      state = started;
      this.sources.set(source, state);
      // The state answers later (a server may): a unit delivered meanwhile may already be newer.
      void this.storedPosition(source).then((stored) => advanceNewest(started, stored));
      this.openFailure = undefined;
    }
    state.running = true;
  }

  unitDelivered(source: string, unit: WorkUnit, rows: number): void {
    const state = this.sources.get(source);
    if (state === undefined) return;
    advanceNewest(state, unit.position);
    const minute = Math.floor(this.now().getTime() / MINUTE_MS);
    state.minutes.set(minute, (state.minutes.get(minute) ?? 0) + rows);
    for (const [minuteKey] of state.minutes)
      if (minuteKey <= minute - CHART_MINUTES) state.minutes.delete(minuteKey);
    // Delivered means every output acknowledged the unit's rows.
    for (const { name } of this.readings.outputs()) {
      const output = this.output(name);
      output.delivered += rows;
      output.acknowledged = true;
      output.failing = false;
    }
  }

  cycleEnded(source: string, seconds: number, report: CycleReport | undefined, error?: unknown): void {
    const state = this.sources.get(source);
    if (state === undefined) return;
    state.running = false;
    const failure = report === undefined ? messageOf(error) : report.failed[0]?.error;
    state.lastCycle = {
      outcome: report === undefined ? "failed" : report.failed.length > 0 ? "partial" : "ok",
      endedAt: this.now().toISOString(),
      seconds,
      delivered: report?.delivered ?? 0,
      rows: report?.rows ?? 0,
      ...(failure === undefined ? {} : { error: failure }),
    };
  }

  openFailed(error: unknown): void {
    this.openFailure = messageOf(error);
  }

  outputFailed(name: string, error: unknown): void {
    const output = this.output(name);
    output.failing = true;
    output.lastError = messageOf(error);
    output.lastErrorAt = this.now().toISOString();
  }

  /** Counts a dead letter as it is written (see watchedDeadLetters). */
  deadLetterWritten(letter: DeadLetter): void {
    const source = letter.source ?? "unknown";
    this.deadLettersBySource.set(source, (this.deadLettersBySource.get(source) ?? 0) + 1);
  }

  /** Seconds from the newest delivered unit to the org's now, once the source has one. */
  lagSeconds(source: string): number | undefined {
    const newest = this.sources.get(source)?.newest;
    if (newest === undefined) return undefined;
    return Math.max(0, (this.readings.orgNow().getTime() - Date.parse(newest)) / 1000);
  }

  /** The ids of the sources a cycle has started for. */
  sourceIds(): string[] {
    return [...this.sources.keys()];
  }

  /** Ready when every source's last cycle succeeded, or its first is still running. */
  readiness(): Readiness {
    if (this.openFailure !== undefined)
      return { ready: false, reason: `a source could not be opened: ${this.openFailure}` };
    for (const [id, state] of this.sources) {
      const last = state.lastCycle;
      if (last === undefined || last.outcome === "ok") continue;
      const what = last.outcome === "partial" ? "left units undelivered" : "failed";
      return {
        ready: false,
        reason: `the last cycle of ${id} (ended ${last.endedAt}) ${what}${last.error ? `: ${last.error}` : ""}`,
      };
    }
    return { ready: true };
  }

  snapshot(): StatusSnapshot {
    const usage = this.readings.apiUsage();
    const minuteNow = Math.floor(this.now().getTime() / MINUTE_MS);
    return {
      generatedAt: this.now().toISOString(),
      ...this.readiness(),
      org: {
        name: this.readings.org,
        apiRequests: this.readings.apiRequests(),
        ...(usage === undefined ? {} : { apiUsage: { ...usage, ratio: usage.used / usage.max } }),
      },
      sources: [...this.sources].map(([id, state]) => {
        const eventsPerMinute = Array.from(
          { length: CHART_MINUTES },
          (_, i) => state.minutes.get(minuteNow - CHART_MINUTES + 1 + i) ?? 0,
        );
        const lag = this.lagSeconds(id);
        return {
          id,
          running: state.running,
          ...(lag === undefined ? {} : { lagSeconds: Math.round(lag), newestPosition: state.newest }),
          eventsPerMinute,
          eventsLastHour: eventsPerMinute.reduce((a, b) => a + b, 0),
          ...(state.lastCycle === undefined ? {} : { lastCycle: state.lastCycle }),
          deadLetters: this.deadLettersBySource.get(id) ?? 0,
        };
      }),
      outputs: this.readings.outputs().map(({ name, retries }) => {
        const output = this.outputs.get(name);
        return {
          name,
          state: output?.failing ? "failing" : output?.acknowledged ? "ok" : "waiting",
          eventsDelivered: output?.delivered ?? 0,
          ...(retries === undefined ? {} : { retries }),
          ...(output?.lastError === undefined
            ? {}
            : { lastError: output.lastError, lastErrorAt: output.lastErrorAt }),
        };
      }),
    };
  }

  private output(name: string): OutputState {
    let output = this.outputs.get(name);
    if (output === undefined) {
      output = { delivered: 0, acknowledged: false, failing: false };
      this.outputs.set(name, output);
    }
    return output;
  }

  private async storedPosition(source: string): Promise<string | undefined> {
    try {
      return await this.readings.newestPosition(source);
    } catch {
      // A state that cannot be read fails the cycle with its own message; the lag waits for a delivery.
      return undefined;
    }
  }
}

function advanceNewest(state: SourceState, position: string | undefined): void {
  if (position === undefined) return;
  if (state.newest === undefined || Date.parse(position) > Date.parse(state.newest)) state.newest = position;
}

/** An error as one redacted sentence: what the page and /readyz may show. */
function messageOf(error: unknown): string {
  return secrets.redact(error instanceof Error ? error.message : String(error));
}
