import { describe, expect, it } from "vitest";
import { FlushRounds } from "../../src/engine/flush-rounds.js";

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("FlushRounds", () => {
  it("acknowledges with a flush that began after the request, sharing one flush among waiters", async () => {
    const flushes: ReturnType<typeof deferred>[] = [];
    const rounds = new FlushRounds(() => {
      const d = deferred();
      flushes.push(d);
      return d.promise;
    });
    const acked: string[] = [];
    const a = rounds.acknowledge().then(() => acked.push("a"));
    expect(flushes).toHaveLength(1); // a's round started at once
    const b = rounds.acknowledge().then(() => acked.push("b"));
    const c = rounds.acknowledge().then(() => acked.push("c"));
    flushes[0].resolve();
    await a;
    expect(acked).toEqual(["a"]); // b and c arrived during a's flush: it does not cover them
    await new Promise((r) => setImmediate(r));
    expect(flushes).toHaveLength(2); // one more flush for both
    flushes[1].resolve();
    await Promise.all([b, c]);
    expect(acked).toEqual(["a", "b", "c"]);
  });

  it("rejects every waiter of a failed round, and the next round starts afresh", async () => {
    let fail = true;
    const rounds = new FlushRounds(async () => {
      if (fail) throw new Error("intake down");
    });
    await expect(rounds.acknowledge()).rejects.toThrow("intake down");
    fail = false;
    await expect(rounds.acknowledge()).resolves.toBeUndefined();
  });
});
