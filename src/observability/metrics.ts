import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CycleObserver, CycleReport } from "../core/cycle.js";
import type { DeadLetter } from "../core/dead-letters.js";
import { OutputError } from "../core/output.js";
import type { WorkUnit } from "../core/source.js";
import type { CollectorStatus, StatusReadings } from "./collector-status.js";

/** From a quick cycle with nothing new to a long catch-up. */
const CYCLE_BUCKETS = [0.5, 1, 5, 15, 60, 300, 900, 3600];

/** What one org's engine and dead-letter file tell the metrics. */
export interface OrgMetrics extends CycleObserver {
  deadLetterWritten(letter: DeadLetter): void;
}

interface WatchedOrg {
  readings: StatusReadings;
  status: CollectorStatus;
}

/**
 * The collector's Prometheus metrics (names and labels in docs/operations.md), with Node's process
 * metrics. Counters are fed as the engine tells of cycles and units; what the collector already
 * counts elsewhere (API requests and usage, output retries, the lag) is read when scraped. One
 * registry serves every org of the process, each series labelled with its org: the org given to the
 * constructor, which the class's own observer methods are for, and those of addOrg().
 */
export class CollectorMetrics implements CycleObserver {
  readonly registry = new Registry();
  private readonly eventsDelivered: Counter<"org" | "source" | "output">;
  private readonly unitsDelivered: Counter<"org" | "source">;
  private readonly deadLetters: Counter<"org" | "source">;
  private readonly outputErrors: Counter<"org" | "output" | "reason">;
  private readonly cycles: Counter<"org" | "source" | "outcome">;
  private readonly cycleDuration: Histogram<"org" | "source">;
  /** Errors already counted: a failed output rejects every write with the same error until its next flush. */
  private readonly countedErrors = new WeakSet<object>();
  private readonly orgs = new Map<string, WatchedOrg>();
  private readonly primary: OrgMetrics | undefined;

  constructor(readings?: StatusReadings, status?: CollectorStatus) {
    const registers = [this.registry];
    const orgs = this.orgs;
    collectDefaultMetrics({ register: this.registry });
    this.eventsDelivered = new Counter({
      name: "sfevents_events_delivered_total",
      help: "Events acknowledged by the output.",
      labelNames: ["org", "source", "output"],
      registers,
    });
    this.unitsDelivered = new Counter({
      name: "sfevents_units_delivered_total",
      help: "Units (Event Log Files, object windows) whose every event every output acknowledged.",
      labelNames: ["org", "source"],
      registers,
    });
    this.deadLetters = new Counter({
      name: "sfevents_dead_letters_total",
      help: "Rows or events written to the dead-letter file instead of being delivered.",
      labelNames: ["org", "source"],
      registers,
    });
    this.outputErrors = new Counter({
      name: "sfevents_output_errors_total",
      help: "Deliveries an output gave up on (fatal: retrying cannot help; gave_up: retry budget spent; unexpected: a bug).",
      labelNames: ["org", "output", "reason"],
      registers,
    });
    this.cycles = new Counter({
      name: "sfevents_cycles_total",
      help: "Collection cycles by outcome (ok, partial: some units left for the next cycle, failed).",
      labelNames: ["org", "source", "outcome"],
      registers,
    });
    this.cycleDuration = new Histogram({
      name: "sfevents_cycle_duration_seconds",
      help: "How long a collection cycle took.",
      labelNames: ["org", "source"],
      buckets: CYCLE_BUCKETS,
      registers,
    });
    new Gauge({
      name: "sfevents_source_lag_seconds",
      help: "The org's now minus the position of the source's newest delivered unit (a file's CreatedDate, a window's end).",
      labelNames: ["org", "source"],
      registers,
      collect() {
        this.reset();
        for (const [org, { status }] of orgs)
          for (const source of status.sourceIds()) {
            const lag = status.lagSeconds(source);
            if (lag !== undefined) this.set({ org, source }, lag);
          }
      },
    });
    new Counter({
      name: "sfevents_salesforce_api_requests_total",
      help: "REST API requests sent to the org, retries included.",
      labelNames: ["org"],
      registers,
      collect() {
        this.reset();
        for (const [org, { readings }] of orgs) this.inc({ org }, readings.apiRequests());
      },
    });
    new Gauge({
      name: "sfevents_salesforce_api_usage_ratio",
      help: "The org's daily API requests used over its allowance, from the latest Sforce-Limit-Info header.",
      labelNames: ["org"],
      registers,
      collect() {
        this.reset();
        for (const [org, { readings }] of orgs) {
          const usage = readings.apiUsage();
          if (usage !== undefined) this.set({ org }, usage.used / usage.max);
        }
      },
    });
    new Counter({
      name: "sfevents_output_retries_total",
      help: "Requests an output sent again after an answer that did not deliver (429, 5xx, timeout).",
      labelNames: ["org", "output"],
      registers,
      collect() {
        this.reset();
        for (const [org, { readings }] of orgs)
          for (const output of readings.outputs()) {
            if (output.retries !== undefined) this.inc({ org, output: output.name }, output.retries);
          }
      },
    });
    if (readings && status) this.primary = this.addOrg(readings, status);
  }

  /** Watches one more org (`readings.org`): what its engine and dead letters tell, labelled with it. */
  addOrg(readings: StatusReadings, status: CollectorStatus): OrgMetrics {
    const org = readings.org;
    this.orgs.set(org, { readings, status });
    return {
      cycleStarted: (source) => {
        // Every series a source has exists from its first cycle, so that increase() sees its first event.
        const labels = { org, source };
        this.unitsDelivered.inc(labels, 0);
        this.deadLetters.inc(labels, 0);
        for (const { name } of readings.outputs()) this.eventsDelivered.inc({ ...labels, output: name }, 0);
      },
      unitDelivered: (source, _unit, rows) => {
        const labels = { org, source };
        this.unitsDelivered.inc(labels);
        // Delivered means that every output acknowledged the unit's rows.
        for (const { name } of readings.outputs())
          this.eventsDelivered.inc({ ...labels, output: name }, rows);
      },
      cycleEnded: (source, seconds, report) => {
        const labels = { org, source };
        this.cycleDuration.observe(labels, seconds);
        const outcome = report === undefined ? "failed" : report.failed.length > 0 ? "partial" : "ok";
        this.cycles.inc({ ...labels, outcome });
      },
      outputFailed: (output, error) => this.countOutputError(org, output, error),
      deadLetterWritten: (letter) => this.deadLetters.inc({ org, source: letter.source ?? "unknown" }),
    };
  }

  /** Stops reading an org that no longer runs (its file removed from orgs_dir); its counters stay. */
  removeOrg(org: string): void {
    this.orgs.delete(org);
  }

  cycleStarted(source: string): void {
    this.primary?.cycleStarted?.(source);
  }

  unitDelivered(source: string, unit: WorkUnit, rows: number): void {
    this.primary?.unitDelivered?.(source, unit, rows);
  }

  cycleEnded(source: string, seconds: number, report: CycleReport | undefined): void {
    this.primary?.cycleEnded?.(source, seconds, report);
  }

  outputFailed(output: string, error: unknown): void {
    this.primary?.outputFailed?.(output, error);
  }

  private countOutputError(org: string, output: string, error: unknown): void {
    if (typeof error === "object" && error !== null) {
      if (this.countedErrors.has(error)) return;
      this.countedErrors.add(error);
    }
    const reason = error instanceof OutputError ? (error.fatal ? "fatal" : "gave_up") : "unexpected";
    this.outputErrors.inc({ org, output, reason });
  }

  deadLetterWritten(letter: DeadLetter): void {
    this.primary?.deadLetterWritten(letter);
  }

  /** The Prometheus text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
