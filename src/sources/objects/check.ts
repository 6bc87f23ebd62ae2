import { type Finding, failed } from "../../core/finding.js";
import type { ObjectKind } from "./catalog.js";
import type { ObjectsApi } from "./source.js";

/**
 * For `sfevents check`: one line per object, whether the Run As user can read it and, when not,
 * what it lacks. An object only read by default is a warning (collect leaves it out); one named in
 * objects.types is a failure (collect reports it at every poll).
 */
export async function checkObjects(
  api: Pick<ObjectsApi, "describe">,
  kinds: readonly ObjectKind[],
  named: boolean,
): Promise<Finding[]> {
  const out: Finding[] = [];
  const readable: string[] = [];
  for (const kind of kinds) {
    try {
      await api.describe(kind.name);
      readable.push(kind.name);
    } catch (err) {
      const { errorCode, status } = err as { errorCode?: string; status?: number };
      if (errorCode !== "INVALID_TYPE" && errorCode !== "NOT_FOUND" && status !== 404) {
        out.push(failed(kind.name, err));
        continue;
      }
      out.push({
        status: named ? "fail" : "warn",
        title: kind.name,
        detail: named ? "this user cannot read it" : "this user cannot read it; collect leaves it out",
        fix: `give the Run As user ${kind.access}`,
      });
    }
  }
  if (readable.length > 0) {
    out.unshift({ status: "ok", title: "Objects", detail: `readable: ${readable.join(", ")}` });
  }
  return out;
}
