import { OutputError } from "../outputs/output.js";
import { CollectionSetupError } from "../sources/event-log-files/interval.js";

/**
 * Errors no retry can fix: wrong credentials, a rejected intake key, an org without what the
 * configuration asks for. Collection stops on them with the error's own explanation, instead of
 * looping on it the way some collectors loop on INVALID_FIELD.
 */
export function isFatal(err: unknown): boolean {
  if (err instanceof CollectionSetupError) return true;
  if (err instanceof OutputError) return err.fatal;
  return false;
}
