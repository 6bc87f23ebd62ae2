import type { CycleObserver, CycleReport } from "../core/cycle.js";
import type { DeadLetterSink } from "../core/dead-letters.js";
import { actionOf } from "../core/errors.js";
import type { Output } from "../core/output.js";
import type { Source, WorkUnit } from "../core/source.js";
import { count } from "../observability/count.js";
import type { Logger } from "../observability/logger.js";
import type { Progress } from "../observability/progress.js";
import type { RowFingerprints, StateStore } from "../state/index.js";
import { FlushRounds } from "./flush-rounds.js";
import { Watermark } from "./watermark.js";

export interface EngineSettings {
  /** Units read at once, across every source. */
  concurrency: number;
  /** Delivered-unit records are kept this long: at least Salesforce's 30-day retention. */
  retentionDays?: number;
  /**
   * Skip events a delivered unit of the same scope already carried (a replaced daily file, a
   * latent hourly file repeating rows). Costs a hash per event and a little of the state.
   */
  deduplicate?: boolean;
  /** Reads of a unit within one cycle (a reset download, a truncated gzip) before it waits for the next. */
  attemptsPerUnit?: number;
}

export interface EngineDeps {
  state: StateStore;
  outputs: readonly Output[];
  deadLetters: DeadLetterSink;
  logger: Logger;
  progress?: Progress;
  settings: EngineSettings;
  /** Told of each delivered unit and each cycle's end: metrics, the status page. */
  observer?: CycleObserver;
  /** The org's time (see SalesforceClient.orgNow): what the state forgets is measured by it. */
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

const DAY = 86_400_000;

/**
 * Runs collection cycles of sources into outputs. A cycle lists a source's units from its
 * checkpoint, reads the new ones a few at a time into every output, and commits a unit (and the
 * checkpoint, once the delivered prefix grows) only after every output acknowledged all of its
 * events. A crash at any moment therefore re-delivers at most the units in flight, and never loses
 * an event. The engine knows no Salesforce object: a source says what its units are.
 */
export class Engine {
  /**
   * Counts output failures. An output that fails a delivery drops everything it held, including
   * events of other units in flight; a unit is acknowledged only if no failure happened while it
   * was being written, whatever its own flush() says.
   */
  private outputFailures = 0;
  private readonly opened = new WeakSet<Source>();
  private readonly rounds: FlushRounds;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => new Date());
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.rounds = new FlushRounds(async () => {
      await Promise.all(deps.outputs.map((o) => this.watchOutput(o, o.flush())));
    });
  }

  /**
   * One cycle of one source: list, read what is new, deliver, commit. `state`, when given, is what
   * this cycle reads and commits through instead of the engine's: a view fenced by the source's
   * lease, when collectors share the work.
   */
  async runCycle(source: Source, signal?: AbortSignal, state = this.deps.state): Promise<CycleReport> {
    const { observer } = this.deps;
    const started = performance.now();
    // A source's id may depend on what opening it learns: the observer hears of a cycle once it is known.
    try {
      await this.open(source);
    } catch (err) {
      observer?.openFailed?.(err);
      throw err;
    }
    observer?.cycleStarted?.(source.id);
    let report: CycleReport | undefined;
    let failure: unknown;
    try {
      report = await this.cycle(source, signal, state);
      return report;
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      observer?.cycleEnded?.(source.id, (performance.now() - started) / 1000, report, failure);
    }
  }

  private async cycle(
    source: Source,
    signal: AbortSignal | undefined,
    state: StateStore,
  ): Promise<CycleReport> {
    const { logger, settings, outputs } = this.deps;
    const listing = await source.list(await state.checkpoint(source.id), signal);
    const units = listing.units;
    // One after the other: a store on a server is not flooded with a catch-up's thousands at once.
    const delivered: boolean[] = [];
    for (const unit of units) delivered.push(await state.isDelivered(source.id, unit.key));
    const watermark = new Watermark(units, (_, index) => delivered[index]);
    const pending = units.map((unit, index) => ({ unit, index })).filter(({ index }) => !delivered[index]);
    const since = listing.since.toISOString();
    const log = source.streaming ? logger.debug.bind(logger) : logger.info.bind(logger);
    log(
      { source: source.id, since, listed: units.length, new: pending.length },
      `found ${count(pending.length, `new ${source.unitNoun}`)} since ${since}`,
    );

    const report: CycleReport = {
      source: source.id,
      listed: units.length,
      delivered: 0,
      rows: 0,
      repeatedRows: 0,
      deadLetters: 0,
      possibleDuplicates: 0,
      failed: [],
    };
    const deadLettersBefore = this.deps.deadLetters.count;
    const possibleDuplicatesBefore = possibleDuplicates(outputs);
    // An error that stops collection (a rejected intake key, revoked credentials) or ends the cycle
    // (an output that gave up, a state that cannot be written) stops every worker, not just its own.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    // Thrown once every worker has settled.
    let fatal: unknown;
    const fail = (unit: WorkUnit, err: unknown) => {
      const action = actionOf(err);
      if (action === "stop") {
        fatal ??= err;
        stop.abort(err);
        return;
      }
      if (stop.signal.aborted) return; // shutting down: the unit stays undelivered, nothing to report
      const message = err instanceof Error ? err.message : String(err);
      report.failed.push({ unit: unit.name, error: message });
      logger.error({ ...unit.logFields, err: message }, `${unit.name} not delivered this cycle: ${message}`);
      if (action === "end-cycle") stop.abort(err);
    };
    const acknowledgements: Promise<void>[] = [];
    // Units of one scope go one after the other: a unit may repeat events of an earlier one, which
    // deduplication only sees once that one is acknowledged.
    const scopes = new Map<string, Promise<void>>();
    let nextIndex = 0;

    const worker = async () => {
      while (!stop.signal.aborted && nextIndex < pending.length) {
        const { unit, index } = pending[nextIndex++];
        let settle!: () => void;
        const settled = new Promise<void>((resolve) => {
          settle = resolve;
        });
        if (unit.scope !== undefined) {
          const previous = scopes.get(unit.scope);
          scopes.set(unit.scope, settled);
          await previous;
        }
        let written: WrittenUnit;
        try {
          written = await this.writeUnit(source, unit, stop.signal, state);
        } catch (err) {
          fail(unit, err);
          settle();
          continue;
        }
        // The next unit is read while this one waits for its acknowledgement.
        const acknowledged = this.rounds.acknowledge().then(() => {
          if (this.outputFailures !== written.outputFailuresAtStart) {
            throw new Error(
              "an output failed while this unit was being delivered, and may have dropped some of its events",
            );
          }
          return this.commit(state, source, unit, written, watermark.complete(index), report);
        });
        acknowledgements.push(acknowledged.catch((err) => fail(unit, err)).finally(settle));
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(settings.concurrency, pending.length) }, worker));
      await Promise.all(acknowledgements);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    if (fatal !== undefined) throw fatal;

    // Housekeeping only, and only after a cycle that ran its course (the state may be what failed).
    if (!stop.signal.aborted)
      await state.prune(source.id, listing.forgetBefore ?? this.forgetBefore(listing.since));
    report.deadLetters = this.deps.deadLetters.count - deadLettersBefore;
    report.possibleDuplicates = possibleDuplicates(outputs) - possibleDuplicatesBefore;
    return report;
  }

  private async open(source: Source): Promise<void> {
    if (this.opened.has(source)) return;
    await source.open();
    this.opened.add(source);
  }

  /**
   * Delivered-unit records older than this may go: past Salesforce's retention by the org's clock
   * (the host's may be days off), and never a record the next listing can offer again.
   */
  private forgetBefore(listedSince: Date): Date {
    const retained = this.now().getTime() - (this.deps.settings.retentionDays ?? 31) * DAY;
    return new Date(Math.min(retained, listedSince.getTime()));
  }

  /** Every output acknowledged the unit: record it, and the checkpoint if the prefix grew. */
  private async commit(
    state: StateStore,
    source: Source,
    unit: WorkUnit,
    written: WrittenUnit,
    prefixEnd: WorkUnit | undefined,
    report: CycleReport,
  ): Promise<void> {
    await state.markDelivered(
      {
        source: source.id,
        key: unit.key,
        scope: unit.scope,
        position: unit.position,
        rows: written.rows,
        detail: unit.detail,
      },
      prefixEnd?.checkpoint,
      written.fingerprints,
    );
    this.deps.observer?.unitDelivered?.(source.id, unit, written.rows);
    report.delivered++;
    report.rows += written.rows;
    report.repeatedRows += written.repeatedRows;
    this.deps.progress?.doneUnit(unit.name, written.rows);
    const skipped =
      written.repeatedRows > 0
        ? ` (${count(written.repeatedRows, "row")} already delivered by an earlier ${source.unitNoun} skipped)`
        : "";
    const { logger } = this.deps;
    (source.streaming ? logger.debug.bind(logger) : logger.info.bind(logger))(
      { ...unit.logFields, rows: written.rows, repeatedRows: written.repeatedRows },
      `delivered ${unit.name}: ${count(written.rows, "row")}${skipped}`,
    );
  }

  /** Streams one unit to every output, reading it again after an error that may not recur. */
  private async writeUnit(
    source: Source,
    unit: WorkUnit,
    signal: AbortSignal,
    state: StateStore,
  ): Promise<WrittenUnit> {
    const attempts = this.deps.settings.attemptsPerUnit ?? 3;
    const { logger } = this.deps;
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await this.streamUnit(source, unit, signal, state);
        if (attempt > 1) {
          logger.info(
            { ...unit.logFields, attempts: attempt },
            `${unit.name}: read in full at attempt ${attempt}`,
          );
        }
        return written;
      } catch (err) {
        const action = actionOf(err);
        // Read again only what may come whole next time; a bug gets the benefit of the doubt.
        if (signal.aborted || (action !== undefined && action !== "retry-unit") || attempt >= attempts)
          throw err;
        const message = err instanceof Error ? err.message : String(err);
        // One warning per broken unit, not one per attempt: the later attempts are detail.
        const log = attempt === 1 ? logger.warn.bind(logger) : logger.debug.bind(logger);
        log(
          { ...unit.logFields, attempt, err: message },
          `${unit.name}: ${message}; reading it again (attempt ${attempt + 1} of ${attempts})`,
        );
        await this.sleep(1000 * attempt);
      }
    }
  }

  /** Output promises pass through here, so that any failure is counted (see outputFailures). */
  private async watchOutput<T>(output: Output, pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (err) {
      this.outputFailures++;
      this.deps.observer?.outputFailed?.(output.name, err);
      throw err;
    }
  }

  private async streamUnit(
    source: Source,
    unit: WorkUnit,
    signal: AbortSignal,
    state: StateStore,
  ): Promise<WrittenUnit> {
    const { outputs, deadLetters, progress, settings } = this.deps;
    const outputFailuresAtStart = this.outputFailures;
    const fingerprints =
      settings.deduplicate === false || unit.scope === undefined
        ? undefined
        : await state.rowFingerprints({ source: source.id, key: unit.key, scope: unit.scope });
    let repeatedRows = 0;
    let rows = 0;
    progress?.startUnit(unit.name);
    for await (const batch of unit.read(signal)) {
      for (const problem of batch.problems) {
        await deadLetters.write({
          reason: problem.reason,
          source: unit.origin.source,
          unit: unit.origin.unit,
          eventType: unit.origin.eventType,
          line: problem.line,
          chars: problem.chars,
          payload: problem.excerpt,
        });
      }
      for (const event of batch.events) {
        if (fingerprints?.seen(event.identity ?? event.json, event.fingerprint)) {
          repeatedRows++;
          continue;
        }
        for (const output of outputs) {
          const wait = output.write(event);
          if (wait !== undefined) await this.watchOutput(output, wait);
        }
      }
      rows += batch.events.length;
      progress?.rows(unit.name, rows);
    }
    return { rows: rows - repeatedRows, repeatedRows, outputFailuresAtStart, fingerprints };
  }
}

function possibleDuplicates(outputs: readonly Output[]): number {
  return outputs.reduce((sum, output) => sum + (output.possibleDuplicates ?? 0), 0);
}

interface WrittenUnit {
  /** Events handed to the outputs. */
  rows: number;
  repeatedRows: number;
  outputFailuresAtStart: number;
  fingerprints: RowFingerprints | undefined;
}
