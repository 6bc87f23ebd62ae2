import { describeError } from "./errors.js";

/** One line of `sfevents check`'s checklist: what was checked, what was seen, and the fix when it failed. */
export interface Finding {
  status: "ok" | "warn" | "fail" | "skip";
  title: string;
  detail: string;
  fix?: string;
}

/** A failure, its sentence and its fix apart (an error's message ends with its advice: said once). */
export function failed(title: string, err: unknown, fallbackFix?: string): Finding {
  const message = describeError(err);
  const advice = (err as { advice?: unknown }).advice;
  if (typeof advice === "string" && advice !== "" && message.endsWith(advice)) {
    return { status: "fail", title, detail: message.slice(0, -advice.length).trimEnd(), fix: advice };
  }
  return { status: "fail", title, detail: message, fix: fallbackFix };
}

/** Checks that could not run, marked as skipped with why. */
export function skipped(titles: readonly string[], why: string): Finding[] {
  return titles.map((title) => ({ status: "skip" as const, title, detail: `skipped: ${why}` }));
}
