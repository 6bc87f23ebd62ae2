/** One EventLogFile record as the discovery query returns it (Salesforce's field names). */
export interface EventLogFile {
  Id: string;
  EventType: string;
  /** Start of the hour or day the file covers, e.g. 2026-11-20T10:00:00.000+0000. */
  LogDate: string;
  /** When the file was generated or re-generated: the field to find new files by. */
  CreatedDate: string;
  /** Absent on orgs without hourly Event Log Files, where the field does not exist. */
  Interval?: "Hourly" | "Daily";
  Sequence?: number;
  LogFileLength: number;
  /** Relative URL of the CSV: /services/data/vNN.0/sobjects/EventLogFile/{Id}/LogFile */
  LogFile: string;
  LogFileFieldNames?: string | null;
}

/** Total order of discovery: (CreatedDate, Id), the cursor's order. */
export function compareFiles(a: EventLogFile, b: EventLogFile): number {
  const ta = Date.parse(a.CreatedDate);
  const tb = Date.parse(b.CreatedDate);
  if (ta !== tb) return ta - tb;
  return a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0;
}

/** A file's short name for logs: "Login 2026-11-20T10:00Z #2 (0AT...)" */
export function describeFile(file: EventLogFile): string {
  const logDate = new Date(Date.parse(file.LogDate)).toISOString();
  const when = file.Interval === "Hourly" ? `${logDate.slice(0, 13)}:00Z` : logDate.slice(0, 10);
  const seq = file.Interval === "Hourly" ? ` #${file.Sequence}` : "";
  return `${file.EventType} ${when}${seq} (${file.Id})`;
}

/** A file's identity in the state: a regenerated file keeps its Id but not its CreatedDate. */
export function fileKey(file: EventLogFile): string {
  return `${file.Id}@${file.CreatedDate}`;
}

/**
 * EventType|Interval|LogDate: the files whose rows can repeat one another's (a replaced daily file,
 * latent hourly files). A file of an org without hourly files is a daily one.
 */
export function fileScope(file: EventLogFile): string {
  return `${file.EventType}|${file.Interval ?? "Daily"}|${file.LogDate}`;
}
