import { count } from "../observability/count.js";
import { type Progress, type ProgressStream, terminalProgress } from "../observability/progress.js";
import { DeadLetters } from "../outputs/dead-letter.js";

export interface ReplaySummary {
  rows: number;
  deadLetters: number;
  files: number;
  /** Files that could not be read at all (missing, not CSV, corrupt gzip). */
  failedFiles: number;
  /** Standard output was closed by its reader (`| head`): the replay stopped there, as asked. */
  stdoutClosed: boolean;
}

/** What a file's replay ended with, wherever it was read. */
export interface FileCounts {
  rows: number;
  deadLetters: number;
}

/**
 * The state of one replay run, kept on the main thread whichever thread reads the files: the dead
 * letters, the counts, the progress line, and what is said on standard error.
 */
export class ReplayRun {
  readonly deadLetters: DeadLetters;
  private readonly summary: ReplaySummary = {
    rows: 0,
    deadLetters: 0,
    files: 0,
    failedFiles: 0,
    stdoutClosed: false,
  };
  private readonly progressLine: Progress | undefined;

  constructor(
    private readonly deadLetterPath: string,
    private readonly stderr: ProgressStream,
  ) {
    this.deadLetters = new DeadLetters(deadLetterPath);
    this.progressLine = terminalProgress(stderr);
  }

  startFile(name: string): void {
    this.progressLine?.startUnit(name);
  }

  progress(name: string, counts: FileCounts): void {
    this.progressLine?.rows(name, counts.rows, counts.deadLetters);
  }

  fileDone(name: string, counts: FileCounts): void {
    this.summary.rows += counts.rows;
    this.summary.files++;
    this.progressLine?.doneUnit(name, counts.rows, counts.deadLetters);
  }

  /** A file that could not be read to its end: the rows it gave are counted, and why it stopped is said. */
  fileFailed(name: string, counts: FileCounts, why: string): void {
    this.summary.rows += counts.rows;
    this.summary.failedFiles++;
    this.progressLine?.failUnit(name, counts.rows);
    this.stderr.write(`sfevents replay: ${why}\n`);
  }

  stdoutClosed(): void {
    this.summary.stdoutClosed = true;
  }

  /**
   * The summary line on standard error, and the counts behind it; none once standard output was
   * closed, since its reader asked for no more.
   */
  finish(): ReplaySummary {
    const summary = { ...this.summary, deadLetters: this.deadLetters.count };
    if (summary.stdoutClosed) return summary;
    const where = summary.deadLetters > 0 ? ` (in ${this.deadLetterPath})` : "";
    const failed = summary.failedFiles > 0 ? `, ${summary.failedFiles} unreadable` : "";
    this.stderr.write(
      `sfevents replay: ${count(summary.rows, "row")}, ${count(summary.deadLetters, "dead letter")}${where}, ${count(summary.files, "file")}${failed}\n`,
    );
    return summary;
  }
}
