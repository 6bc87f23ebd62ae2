import { createReadStream } from "node:fs";
import { availableParallelism } from "node:os";
import type { Readable } from "node:stream";
import { Command, Option } from "commander";
import { integer } from "./options.js";
import { GeoIpError } from "../normalize/geoip.js";
import type { ProgressStream } from "../observability/progress.js";
import { stdoutDestination } from "../outputs/file/destination.js";
import { describeFailure, eventTypeFromFileName, FileReplay } from "../replay/file.js";
import { type LineOptions, openLines } from "../replay/output.js";
import { ReplayRun, type ReplaySummary } from "../replay/run.js";
import { type ReplayFile, replayInThreads } from "../replay/threads.js";
import { OutputError } from "../core/output.js";
import { EVENT_TYPE_SCHEMAS } from "../salesforce/event-types.js";

export { eventTypeFromFileName } from "../replay/file.js";
export type { ReplaySummary } from "../replay/run.js";

export interface ReplayOptions extends LineOptions {
  eventType?: string;
  deadLetter: string;
  /**
   * Threads that read files; 1 (the default here) reads them on the main thread. Used only when
   * writing to the process's standard output: threads hand over their lines in shared memory, which a
   * stream of a caller's own (a PassThrough) could still hold after its write.
   */
  threads?: number;
}

/** Where a replay reads and writes; the process's own streams unless a test gives others. */
export interface ReplayIo {
  stdin: Readable;
  stdout: NodeJS.WritableStream;
  stderr: ProgressStream;
}

/** Exit codes besides 0 (README.md, "Commands"): a script must notice rows it did not get. */
const EXIT_UNREADABLE_FILE = 1;
/** An option's value that cannot be right (a refused --event-type): nothing was read. */
const EXIT_USAGE = 2;
/** Every file was read, but rows went to the dead letters. */
const EXIT_DEAD_LETTERS = 3;

const KNOWN_EVENT_TYPES = EVENT_TYPE_SCHEMAS.map((schema) => schema.eventType);
/** How EventLogFile's EventType values are written: Login, URI, ApexCallout. */
const EVENT_TYPE_NAME = /^[A-Z][A-Za-z0-9]*$/;

export function command(): Command {
  return new Command("replay")
    .description(
      "Read Event Log File CSVs (plain or .gz, '-' for standard input) and print their events as NDJSON.",
    )
    .argument("<file...>", "Event Log File CSVs, plain or gzip-compressed; '-' reads standard input")
    .addOption(
      new Option("--format <format>", "raw: the row as JSON, as Sekoia.io reads it; ecs: ECS documents")
        .choices(["raw", "ecs"])
        .default("raw"),
    )
    .option(
      "--event-type <type>",
      "event type of files whose header has no EVENT_TYPE column (otherwise read from the file name)",
    )
    .option("--dead-letter <file>", "where rows that cannot be read go", "./sfevents-dead-letters.ndjson")
    .option("--geoip <path>", "MaxMind or DB-IP City/Country .mmdb file for source.geo.* (ecs format)")
    .option("--asn <path>", "MaxMind or DB-IP ASN .mmdb file for source.as.* (ecs format)")
    .option("--include-original", "add event.original, the raw row, to ECS documents")
    .option(
      "--threads <n>",
      "threads that read files side by side, the output staying in the files' order; 1 reads them on the main thread",
      integer("--threads", 1),
      availableParallelism(),
    )
    .action(async (files: string[], options: ReplayOptions) => {
      if (options.eventType !== undefined) {
        const check = checkEventType(options.eventType);
        if (check.refused) {
          process.stderr.write(`sfevents replay: ${check.message}\n`);
          process.exitCode = EXIT_USAGE;
          return;
        }
        if (check.message !== undefined) process.stderr.write(`sfevents replay: warning: ${check.message}\n`);
      }
      try {
        const summary = await replay(files, options, {
          stdin: process.stdin,
          stdout: process.stdout,
          stderr: process.stderr,
        });
        process.exitCode = exitCode(summary);
      } catch (err) {
        if (!(err instanceof GeoIpError)) throw err;
        process.stderr.write(`sfevents replay: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}

/**
 * What a value of --event-type is worth. A value not written like an EventType, or one differing
 * from a known type only by case (`login`), is a mistake and refused. A well-formed type sfevents has
 * no columns for is only warned about: Salesforce has more event types than sfevents knows, and a
 * file's header names its columns anyway.
 */
function checkEventType(eventType: string): { refused: boolean; message?: string } {
  if (KNOWN_EVENT_TYPES.includes(eventType)) return { refused: false };
  const howToList = "`SELECT EventType FROM EventLogFile` lists those of your org.";
  const sameButCase = KNOWN_EVENT_TYPES.find((known) => known.toLowerCase() === eventType.toLowerCase());
  if (sameButCase !== undefined || !EVENT_TYPE_NAME.test(eventType))
    return {
      refused: true,
      message: `--event-type "${eventType}" is not an Event Log File event type${sameButCase ? `; did you mean ${sameButCase}?` : "."} Event types are written as Salesforce spells them (Login, URI, ApexCallout); ${howToList}`,
    };
  return {
    refused: false,
    message: `--event-type ${eventType} is not one of the event types sfevents knows (${KNOWN_EVENT_TYPES.join(", ")}); its rows are replayed with the columns their header names. If it is a typo, ${howToList}`,
  };
}

/** The process's exit code for a replay that ran to its end. */
function exitCode(summary: ReplaySummary): number {
  if (summary.stdoutClosed) return 0;
  if (summary.failedFiles > 0) return EXIT_UNREADABLE_FILE;
  return summary.deadLetters > 0 ? EXIT_DEAD_LETTERS : 0;
}

/**
 * Replays files in the order given; a bad row or an unreadable file never stops the others. A
 * standard output closed by its reader (`| head -1`) ends the replay quietly, as it ends `cat`.
 * With `threads` above 1, files are read on worker threads (src/replay/threads.ts); standard input
 * is read only on the main thread, so a replay of '-' uses it alone.
 */
export async function replay(
  files: readonly string[],
  options: ReplayOptions,
  io: ReplayIo,
): Promise<ReplaySummary> {
  const run = new ReplayRun(options.deadLetter, io.stderr);
  const threads =
    files.includes("-") || io.stdout !== process.stdout ? 1 : Math.min(options.threads ?? 1, files.length);
  // A failed write is reported to the write itself; without a listener the stream's own 'error'
  // event (EPIPE once the reader has gone) would end the process with a stack trace.
  const ignore = () => {};
  io.stdout.on("error", ignore);
  try {
    if (threads > 1)
      await replayInThreads(
        files.map(replayFile(options)),
        threads,
        lineOptions(options),
        run,
        stdoutDestination(io.stdout),
      );
    else await replayHere(files, options, io, run);
  } catch (err) {
    if (!isClosedStdout(err)) throw err;
    run.stdoutClosed();
  } finally {
    await run.deadLetters.close();
    io.stdout.off("error", ignore);
  }
  return run.finish();
}

/** What a thread needs to write lines as the main thread would (only data crosses to a thread). */
function lineOptions({ format, geoip, asn, includeOriginal }: ReplayOptions): LineOptions {
  return { format, geoip, asn, includeOriginal };
}

/** A path as it is replayed: its name in messages and dead letters, its event type told by the option or the file's name. */
function replayFile(options: ReplayOptions): (path: string) => ReplayFile {
  return (path) => ({
    path,
    name: path === "-" ? "<stdin>" : path,
    eventType: options.eventType ?? eventTypeFromFileName(path),
  });
}

/** The replay on the main thread alone, one file after the other. */
async function replayHere(files: readonly string[], options: ReplayOptions, io: ReplayIo, run: ReplayRun) {
  const lines = await openLines(options, io.stdout);
  try {
    for (const { path, name, eventType } of files.map(replayFile(options))) {
      const source = path === "-" ? io.stdin : createReadStream(path);
      const replay = new FileReplay(name, eventType, {
        write: (event) => lines.output.write(event),
        deadLetter: (letter) => run.deadLetters.write(letter),
        progress: (rows, deadLetters) => run.progress(name, { rows, deadLetters }),
      });
      run.startFile(name);
      try {
        await replay.read(source);
        run.fileDone(name, replay);
      } catch (err) {
        if (isClosedStdout(err)) throw err;
        run.fileFailed(name, replay, describeFailure(path, err));
      } finally {
        // A file abandoned half-read (not CSV) must not keep its descriptor open.
        if (source !== io.stdin) source.destroy();
      }
    }
    await lines.output.flush();
  } finally {
    await lines.close();
  }
}

function isClosedStdout(err: unknown): boolean {
  return err instanceof OutputError && (err.cause as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
}
