import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the JavaScript heap grow past what the last full collection kept, in percent.
 * Left to itself, V8 grows it by up to four times when collections are cheap, as they are for a
 * collector whose live data is a page or a batch: collect-objects-burst then peaked at 260 MB for a
 * live heap of 30 to 50 MB. 20% holds the heap near its live size (docs/performance.md, "Memory").
 */
export const HEAP_GROWING_PERCENT = 20;

/**
 * Sets V8's heap growing factor for this process, unless Node was started with one of its own
 * (`node --heap-growing-percent=N`, which NODE_OPTIONS does not take). V8 reads the flag each time
 * it sets the next collection's limit, so setting it at start-up is enough.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
