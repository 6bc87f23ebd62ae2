import { StateError } from "../store.js";
import { shownUrl, withoutPassword } from "./url.js";

/** SQLSTATE classes and Node's socket errors that mean the server could not be reached or went away. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
]);

/**
 * Turns what PostgreSQL or the network said into a sentence naming the database (its URL without
 * the password) and the fix. The password is struck from the reason too, whatever said it.
 */
export function stateErrorFromPg(err: unknown, url: string): StateError {
  if (err instanceof StateError) return err;
  const code = (err as { code?: unknown }).code;
  const reason = withoutPassword(err instanceof Error ? err.message : String(err), url);
  const where = `The PostgreSQL state database ${shownUrl(url)}`;
  const database = databaseName(url);
  const user = userName(url);
  if (typeof code === "string" && UNREACHABLE.has(code))
    return new StateError(
      `${where} cannot be reached (${reason}): check the host and port in state.postgres.url, and that the server runs and accepts connections from this host.`,
    );
  switch (code) {
    case "3D000":
      return new StateError(
        `${where} does not exist on that server (${reason}): create it (createdb ${database}, owned by the user sfevents connects as), or name an existing database in state.postgres.url.`,
      );
    case "28P01":
    case "28000":
      return new StateError(
        `${where} refused the user ${user} (${reason}): check the user and password of state.postgres.url (or PGPASSWORD), and the server's pg_hba.conf.`,
      );
    case "42501":
      return new StateError(
        `${where}: the user ${user} lacks the rights sfevents needs (${reason}). Make it the database's owner, or grant it CREATE and USAGE on the schema and all rights on the sfevents_ tables.`,
      );
    case "53100":
      return new StateError(
        `${where} cannot be written: the server's disk is full (${reason}). Free some space there; the units in flight will be delivered again.`,
      );
    case "57P01":
    case "57P02":
    case "57P03":
      return new StateError(
        `${where} is shutting down or starting (${reason}); the units in flight will be delivered again once it answers.`,
      );
  }
  if (typeof code === "string" && code.startsWith("08"))
    return new StateError(
      `${where}: the connection failed (${reason}); the units in flight will be delivered again once it answers.`,
    );
  if (/Connection terminated|connection timeout/i.test(reason))
    return new StateError(
      `${where}: the connection was lost (${reason}); check the server and the network, the units in flight will be delivered again.`,
    );
  return new StateError(`${where} failed: ${reason}.`);
}

function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || "sfevents";
  } catch {
    return "sfevents";
  }
}

function userName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || "(the default user)";
  } catch {
    return "(the default user)";
  }
}
