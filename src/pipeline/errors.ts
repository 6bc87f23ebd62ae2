import { NetworkError } from "../http/network-error.js";
import { OutputError } from "../outputs/output.js";
import { SalesforceApiError, SalesforceAuthError, SalesforceRequestLimitError } from "../salesforce/index.js";
import { CollectionSetupError } from "../sources/event-log-files/interval.js";
import { StateError } from "../state/index.js";

/** Salesforce answers that mean the request itself is wrong for this org: asking again cannot help. */
const CONFIGURATION_CODES = new Set([
  "INVALID_FIELD",
  "INVALID_TYPE",
  "MALFORMED_QUERY",
  "API_DISABLED_FOR_ORG",
  "API_CURRENTLY_DISABLED",
]);

/**
 * Errors no retry can fix: wrong credentials, a rejected intake key, an org without what the
 * configuration asks for, an untrusted certificate. Collection stops on them with the error's own
 * explanation, instead of looping on it the way some collectors loop on INVALID_FIELD.
 */
export function isFatal(err: unknown): boolean {
  if (err instanceof CollectionSetupError || err instanceof SalesforceAuthError) return true;
  if (err instanceof OutputError) return err.fatal;
  if (err instanceof SalesforceApiError) return CONFIGURATION_CODES.has(err.errorCode);
  if (err instanceof NetworkError) return !err.transient;
  return false;
}

/** A file that is gone (aged out of retention, replaced) cannot be fetched by trying again now. */
export function isGone(err: unknown): boolean {
  return err instanceof SalesforceApiError && err.status === 404;
}

/**
 * Errors that no other file of the cycle would escape: an output that gave up (an intake down past
 * its retry budget, a full disk), the org's API allowance, spent even after the client's long
 * waits, and a state that cannot be written (a full disk under it). The cycle ends there, its checkpoint held, rather than download the rest for nothing.
 */
export function endsCycle(err: unknown): boolean {
  return (
    err instanceof OutputError || err instanceof SalesforceRequestLimitError || err instanceof StateError
  );
}
