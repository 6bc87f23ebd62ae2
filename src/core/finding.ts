/** One line of `sfevents check`'s checklist: what was checked, what was seen, and the fix when it failed. */
export interface Finding {
  status: "ok" | "warn" | "fail" | "skip";
  title: string;
  detail: string;
  fix?: string;
}
