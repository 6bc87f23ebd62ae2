/**
 * The message a user sees for an error. Errors sfevents raises on purpose carry a sentence that says
 * what to do; anything else is unexpected, and its stack goes with it so it can be reported.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const expected = new Set([
    "ConfigError",
    "CollectionSetupError",
    "OutputError",
    "StateError",
    "SalesforceAuthError",
    "SalesforceApiError",
  ]);
  return expected.has(err.name) ? err.message : (err.stack ?? err.message);
}
