import { describe, expect, it } from "vitest";
import { DocumentLayout } from "../../src/normalize/layout.js";

describe("DocumentLayout", () => {
  it("writes set fields in their objects, leaves out unset fields and objects left empty", () => {
    const layout = new DocumentLayout();
    const timestamp = layout.slot(["@timestamp"]);
    layout.constant(["event", "kind"], "event");
    const ip = layout.slot(["source", "ip"]);
    const asn = layout.slot(["source", "as", "number"]);
    const bytes = layout.slot(["http", "response", "bytes"]);
    const write = layout.compile();
    const fields = layout.fields();
    fields[ip] = "192.0.2.1";
    fields[asn] = 64500;
    expect(JSON.parse(write(fields))).toEqual({
      event: { kind: "event" },
      source: { ip: "192.0.2.1", as: { number: 64500 } },
    });
    fields.fill(undefined);
    fields[timestamp] = "2026-11-20T09:30:15.123Z";
    fields[bytes] = 0;
    expect(write(fields)).toBe(
      '{"@timestamp":"2026-11-20T09:30:15.123Z","event":{"kind":"event"},"http":{"response":{"bytes":0}}}',
    );
  });

  it("gives one path one slot, and writes values exactly as JSON.stringify would", () => {
    const layout = new DocumentLayout();
    const text = layout.slot(["salesforce", "query"]);
    expect(layout.slot(["salesforce", "query"])).toBe(text);
    const flag = layout.slot(["salesforce", "is_api"]);
    const list = layout.slot(["related", "user"]);
    const object = layout.slot(["user_agent", "os"]);
    const write = layout.compile();
    const fields = layout.fields();
    const values = {
      query: 'SELECT "Id"\n\tFROM \\Account \u0000 \ud800 😀 é',
      is_api: false,
      user: ['a"b@example.com', "plain"],
      os: { name: "Mac OS", version: "14.1" },
    };
    fields[text] = values.query;
    fields[flag] = values.is_api;
    fields[list] = values.user;
    fields[object] = values.os;
    expect(write(fields)).toBe(
      JSON.stringify({
        salesforce: { query: values.query, is_api: values.is_api },
        related: { user: values.user },
        user_agent: { os: values.os },
      }),
    );
  });

  it("refuses a field that is also an object, which would write a key twice", () => {
    const layout = new DocumentLayout();
    layout.slot(["salesforce", "entity", "name"]);
    expect(() => layout.slot(["salesforce", "entity"])).toThrow(/salesforce\.entity is an object/);
    layout.slot(["salesforce", "run_time"]);
    expect(() => layout.slot(["salesforce", "run_time", "value"])).toThrow(/run_time is not an object/);
    layout.constant(["ecs", "version"], "8.17.0");
    expect(() => layout.slot(["ecs", "version"])).toThrow(/constant/);
  });

  it("writes an empty object when nothing at all is set", () => {
    const layout = new DocumentLayout();
    layout.slot(["a", "b"]);
    expect(layout.compile()(layout.fields())).toBe("{}");
  });
});
