import { describe, expect, it } from "vitest";
import { createNormalizer } from "../../src/normalize/normalizer.js";
import { eventTypeSchema } from "../../src/salesforce/event-types.js";
import { GENERATORS } from "../../src/simulator/org/generators.js";
import { SimulatedOrg } from "../../src/simulator/org/index.js";
import { ecsTypeProblems, parsed } from "./ecs-types.js";
import { missingColumns } from "./landed.js";

const ROWS_PER_TYPE = 40;

describe("normalizing the simulated org's rows", () => {
  it("gives every event type the simulator generates valid ECS documents that lose no column", async () => {
    const start = new Date("2026-11-20T12:00:00Z");
    const types = Object.keys(GENERATORS);
    const org = new SimulatedOrg({
      seed: 7,
      start,
      days: 1,
      hourly: true,
      retentionDays: 30,
      eventTypes: types,
      apiVersion: "64.0",
    });
    const normalizer = await createNormalizer();
    const seen = new Map<string, number>();
    const problems: string[] = [];
    for await (const { values } of org.publishedRows(start)) {
      const type = values.EVENT_TYPE;
      const count = seen.get(type) ?? 0;
      if (count >= ROWS_PER_TYPE) continue;
      seen.set(type, count + 1);
      const header = Object.keys(values);
      const fieldTypes = header.map(
        (h) => eventTypeSchema(type)?.columns.find((c) => c.name === h)?.type ?? "String",
      );
      const doc = parsed(normalizer.forHeader(header, undefined, fieldTypes))(Object.values(values));
      const event = doc.event as { dataset: string; outcome?: string };
      if (event.dataset !== type) problems.push(`${type}: dataset ${event.dataset}`);
      for (const p of ecsTypeProblems(doc)) problems.push(`${type}: ${p}`);
      for (const c of missingColumns(values, doc))
        problems.push(`${type}: ${c}=${JSON.stringify(values[c])} lost`);
      if (type === "Login" && values.LOGIN_STATUS !== "LOGIN_NO_ERROR" && event.outcome !== "failure")
        problems.push(`Login: ${values.LOGIN_STATUS} is not a failure`);
    }
    expect([...new Set(problems)]).toEqual([]);
    expect([...seen.keys()].sort()).toEqual(types.sort());
  });
});
