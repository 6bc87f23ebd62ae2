import { ExplainedError } from "../../core/errors.js";
import type { Logger } from "../../observability/logger.js";

export type IntervalSetting = "auto" | "hourly" | "daily";

export interface IntervalChoice {
  mode: "hourly" | "daily";
  /** Whether the org exposes hourly files at all (the Interval and Sequence fields exist). */
  orgHasHourly: boolean;
  reason: string;
}

/** What interval detection needs from Salesforce: the EventLogFile describe. */
export interface DescribeApi {
  describe(sobject: string): Promise<{ fields: { name: string }[] }>;
}

/** A problem no retry can fix: collection stops with this message. */
export class CollectionSetupError extends ExplainedError {
  constructor(message: string) {
    super(message, "stop");
  }
}

export const ENABLE_HOURLY_ADVICE =
  "To enable them, in Salesforce Setup open Event Monitoring Settings (Quick Find: 'Event Monitoring') and turn " +
  "on hourly event log file generation; this needs the Event Monitoring add-on or Shield. Until then, set " +
  "event_log_files.interval to daily or auto.";

/**
 * Finds out from the EventLogFile describe whether the org has hourly files: the Interval field exists
 * only where they are enabled. Asking the describe costs one API call and cannot fail the way a query
 * naming Interval does on an org without it. A user who cannot read Event Log Files at all is a
 * setup error with its fix.
 */
export async function orgHasHourlyFiles(api: DescribeApi): Promise<boolean> {
  try {
    return (await api.describe("EventLogFile")).fields.some((f) => f.name === "Interval");
  } catch (err) {
    if (
      (err as { errorCode?: string }).errorCode === "INVALID_TYPE" ||
      (err as { status?: number }).status === 404
    ) {
      throw new CollectionSetupError(
        "This user cannot read Event Log Files (EventLogFile is not supported for it). Give the Run As user " +
          "the 'View Event Log Files' and 'API Enabled' permissions, and check that the org has Event Monitoring.",
      );
    }
    throw err;
  }
}

/** The interval to collect, from the setting and what the org has; `hourly` on a daily-only org is a setup error. */
export function pickInterval(setting: IntervalSetting, orgHasHourly: boolean): IntervalChoice {
  if (setting === "hourly") {
    if (!orgHasHourly) {
      throw new CollectionSetupError(
        `event_log_files.interval is hourly, but this org has no hourly Event Log Files. ${ENABLE_HOURLY_ADVICE}`,
      );
    }
    return { mode: "hourly", orgHasHourly, reason: "configured" };
  }
  if (setting === "daily") return { mode: "daily", orgHasHourly, reason: "configured" };
  if (orgHasHourly)
    return { mode: "hourly", orgHasHourly, reason: "the org has hourly Event Log Files (lower latency)" };
  return { mode: "daily", orgHasHourly, reason: "the org has no hourly Event Log Files, only daily ones" };
}

export async function chooseInterval(
  setting: IntervalSetting,
  api: DescribeApi,
  logger: Logger,
): Promise<IntervalChoice> {
  const choice = pickInterval(setting, await orgHasHourlyFiles(api));
  logger.info(
    { interval: choice.mode, reason: choice.reason },
    `collecting ${choice.mode} Event Log Files: ${choice.reason}`,
  );
  return choice;
}
