import { type Finding, failed, skipped } from "../../core/finding.js";
import { ENABLE_HOURLY_ADVICE, type IntervalSetting, orgHasHourlyFiles, pickInterval } from "./interval.js";
import type { DescribeApi } from "./interval.js";
import type { QueryApi } from "./discovery.js";
import { soqlDateTime } from "./query.js";

/** What can only be checked once the user can read Event Log Files. */
const AFTER_ACCESS = ["Hourly Event Log Files", "Event types in the last 24 h"];

export interface EventLogFileCheckApi extends DescribeApi, QueryApi {
  orgNow(): Date;
}

/** For `sfevents check`: access, the interval, and which event types the last day produced. */
export async function checkEventLogFiles(
  api: EventLogFileCheckApi,
  settings: { interval: IntervalSetting; eventTypes: readonly string[] },
): Promise<Finding[]> {
  const out: Finding[] = [];
  let orgHasHourly: boolean;
  try {
    orgHasHourly = await orgHasHourlyFiles(api);
    out.push({
      status: "ok",
      title: "Event Log File access",
      detail: "the Run As user can read EventLogFile",
    });
  } catch (err) {
    out.push(failed("Event Log File access", err));
    out.push(...skipped(AFTER_ACCESS, "needs Event Log File access"));
    return out;
  }
  try {
    const choice = pickInterval(settings.interval, orgHasHourly);
    out.push(
      orgHasHourly
        ? {
            status: "ok",
            title: "Hourly Event Log Files",
            detail: `available; collecting ${choice.mode} files`,
          }
        : {
            status: "warn",
            title: "Hourly Event Log Files",
            detail: "not enabled in this org; collecting daily files (about a day of latency)",
            fix: ENABLE_HOURLY_ADVICE,
          },
    );
  } catch {
    out.push({
      status: "fail",
      title: "Hourly Event Log Files",
      detail: "not enabled in this org; interval: hourly cannot work",
      fix: ENABLE_HOURLY_ADVICE,
    });
  }

  try {
    // The org's clock, not this host's: the describe above has told it.
    const since = soqlDateTime(new Date(api.orgNow().getTime() - 86_400_000));
    const counts = new Map<string, number>();
    for await (const page of api.query<{ EventType: string }>(
      `SELECT EventType FROM EventLogFile WHERE CreatedDate >= ${since}`,
    )) {
      for (const r of page) counts.set(r.EventType, (counts.get(r.EventType) ?? 0) + 1);
    }
    const types = [...counts.keys()].sort();
    out.push({
      status: types.length > 0 ? "ok" : "warn",
      title: "Event types in the last 24 h",
      detail:
        types.length > 0
          ? types.map((t) => `${t} (${counts.get(t)})`).join(", ")
          : "no file was created in the last 24 hours",
      fix:
        types.length > 0
          ? undefined
          : "check that Event Monitoring generates log files (Setup > Event Monitoring Settings) and that there was activity",
    });
    const missing = settings.eventTypes.filter((t) => !counts.has(t));
    if (missing.length > 0) {
      out.push({
        status: "warn",
        title: "Configured event types",
        detail: `no file in the last 24 h for ${missing.join(", ")}`,
        fix: "check the spelling (EventType values such as Login, API, RestApi) and the org's licence",
      });
    }
  } catch (err) {
    out.push(failed("Event Log File query", err));
  }
  return out;
}

/** What check reports for Event Log Files when there is no token to ask with. */
export const EVENT_LOG_FILE_CHECKS = ["Event Log File access", ...AFTER_ACCESS];
