/** A row or event that could not be delivered as it is, kept with everything needed to find it again. */
export interface DeadLetter {
  reason: string;
  /** The org it was read from, when the configuration has several (`orgs`, `orgs_dir`). */
  org?: string;
  /** The source that read it (`event_log_files:hourly`, `replay`), when known. */
  source?: string;
  /** The unit it was read in: the EventLogFile Id, or the path of a replayed file. */
  unit: string;
  eventType?: string;
  /** 1-based line in the unit where it starts. */
  line?: number;
  /** Its length in characters as written, when it was refused for being too long to read. */
  chars?: number;
  /** The row or event as it was read (raw text, fields, or the event's JSON). */
  payload: string;
}

/** Where dead letters go: the engine and the outputs write, the application decides where. */
export interface DeadLetterSink {
  readonly path: string;
  /** Dead letters written since it was opened. */
  readonly count: number;
  write(letter: DeadLetter): Promise<void>;
}

/** The same sink, telling `written` of each letter once it is written: how metrics count them by source. */
export function watchedDeadLetters(
  sink: DeadLetterSink,
  written: (letter: DeadLetter) => void,
): DeadLetterSink {
  return {
    get path() {
      return sink.path;
    },
    get count() {
      return sink.count;
    },
    async write(letter) {
      await sink.write(letter);
      written(letter);
    },
  };
}

/** One org's letters in a file several orgs share: each says its org, and the org counts its own. */
export function orgDeadLetters(sink: DeadLetterSink, org: string): DeadLetterSink {
  let written = 0;
  return {
    get path() {
      return sink.path;
    },
    get count() {
      return written;
    },
    async write(letter) {
      await sink.write({ org, ...letter });
      written++;
    },
  };
}
