import { NetworkError } from "../http/network-error.js";
import { ConfigError } from "../config/load.js";
import { GeoIpError } from "../normalize/geoip.js";
import { OutputError } from "../outputs/output.js";
import { SalesforceApiError, SalesforceAuthError, SalesforceDownloadError } from "../salesforce/index.js";
import { CollectionSetupError } from "../sources/event-log-files/interval.js";

/** Errors sfevents raises on purpose: each carries a sentence that says what happened and what to do. */
const EXPLAINED = [
  ConfigError,
  CollectionSetupError,
  GeoIpError,
  OutputError,
  SalesforceApiError,
  SalesforceAuthError,
  SalesforceDownloadError,
  NetworkError,
];

/**
 * The message a user sees for an error. An explained error is its sentence alone; anything else is
 * unexpected, and its stack goes with it so it can be reported.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (EXPLAINED.some((type) => err instanceof type) || err.name === "StateError") return err.message;
  return err.stack ?? err.message;
}
