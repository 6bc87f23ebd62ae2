/**
 * What the engine does with an error. The layer that understands an error decides it (the
 * Salesforce client knows which answers no retry can fix, an output knows when it gave up); the
 * collector and the CLI read only this.
 *
 * - `stop`: no retry can fix it (credentials, a rejected intake key, a missing permission, a
 *   configuration the org cannot serve): collection stops with the error's sentence.
 * - `end-cycle`: every other unit of the cycle would fail the same way (an output past its retry
 *   budget, a spent API allowance, a state that cannot be written): the cycle ends at once, its
 *   checkpoints held, and the next poll tries again.
 * - `retry-unit`: this unit may well succeed when read again (a download that broke off).
 * - `skip-unit`: the unit is gone (aged out of retention, replaced): reading it again cannot help.
 */
export type ErrorAction = "stop" | "end-cycle" | "retry-unit" | "skip-unit";

/**
 * An error a user can hit: its message says what happened and what to do, in one or two sentences,
 * and is all they are shown. Anything that is not one is a bug, shown with its stack.
 */
export class ExplainedError extends Error {
  constructor(
    message: string,
    readonly action: ErrorAction,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The action an error calls for; undefined for an unexpected error (a bug). */
export function actionOf(err: unknown): ErrorAction | undefined {
  return err instanceof ExplainedError ? err.action : undefined;
}

/**
 * The message a user sees for an error: an explained error's sentence alone; anything else is
 * unexpected, and its stack goes with it so it can be reported.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof ExplainedError) return err.message;
  return err.stack ?? err.message;
}
