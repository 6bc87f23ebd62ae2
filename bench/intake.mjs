import { startLocalIntake } from "../dist/simulator/sekoia-intake.js";

/**
 * The Sekoia-style intake of the collect scenarios, in a process of its own so its CPU time is not the
 * collector's: it acknowledges each batch at once and keeps counts only. Prints its URL, then on
 * SIGTERM its counts as one JSON line ({"batches","events","bytes","rejected"}).
 */
const intake = await startLocalIntake();
process.stdout.write(`${intake.url}\n`);
process.once("SIGTERM", async () => {
  await intake.close();
  process.stdout.write(`${JSON.stringify(intake.stats)}\n`);
});
