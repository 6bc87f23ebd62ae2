import { GeoIp } from "./geoip.js";
import { compilePlan, type RowEncoder } from "./plan.js";
import { compileRecordPlan, type RecordEncoder, recordFields } from "./record-plan.js";
import { UrlSplitter } from "./url.js";
import { UserAgentParser } from "./user-agent.js";

export interface NormalizerOptions {
  /** A MaxMind or DB-IP City/Country .mmdb file: fills source.geo.*. */
  geoipPath?: string;
  /** A MaxMind or DB-IP ASN .mmdb file: fills source.as.*. */
  asnPath?: string;
  /** Adds event.original, the raw row as JSON. */
  includeOriginal?: boolean;
}

/** Turns Event Log File rows and Salesforce object records into ECS documents, as JSON text. */
export interface Normalizer {
  /**
   * A compiled plan for one header: call once per file, then per row; each call returns one ECS
   * document as JSON text (the text is what outputs write, so no object is built). The row's EVENT_TYPE
   * column names its type; `eventType` is used when the header has none or a row leaves it empty.
   * `logFileFieldTypes` (the EventLogFile's LogFileFieldTypes, in header order) types columns
   * the normalizer does not know.
   */
  forHeader(header: readonly string[], eventType?: string, logFileFieldTypes?: readonly string[]): RowEncoder;
  /**
   * The encoder of one object's records (LoginEvent, SetupAuditTrail, ...), as Salesforce returns
   * them without `attributes`: one ECS document as JSON text per call. `original` is the record's
   * raw JSON when the caller has built it (event.original, and event.id without an identity field).
   */
  forRecord(object: string): RecordEncoder;
  close(): Promise<void>;
}

export type { RecordEncoder, RowEncoder };

/** Distinct field sets kept per object: one in practice (the source selects the same fields). */
const MAX_RECORD_PLANS = 64;

/** The dataset of rows whose type nobody could tell. */
const UNKNOWN_EVENT_TYPE = "Unknown";

export async function createNormalizer(options: NormalizerOptions = {}): Promise<Normalizer> {
  const ctx = {
    userAgents: new UserAgentParser(),
    urls: new UrlSplitter(),
    geoip: await GeoIp.open([options.geoipPath, options.asnPath]),
    includeOriginal: options.includeOriginal ?? false,
  };
  const recordEncoders = new Map<string, RecordEncoder>();
  return {
    forHeader(header, eventType, logFileFieldTypes) {
      const typeColumn = header.indexOf("EVENT_TYPE");
      const fallbackType = eventType ?? UNKNOWN_EVENT_TYPE;
      // A file holds one event type, but nothing forbids mixing: one plan per type seen.
      const plans = new Map<string, RowEncoder>();
      const planFor = (type: string) => {
        let plan = plans.get(type);
        if (plan === undefined) {
          plan = compilePlan(header, type, ctx, logFileFieldTypes);
          plans.set(type, plan);
        }
        return plan;
      };
      if (typeColumn === -1) return planFor(fallbackType);
      let lastType: string | undefined;
      let lastPlan: RowEncoder | undefined;
      return (values, original) => {
        const type = values[typeColumn] || fallbackType;
        if (type !== lastType || lastPlan === undefined) {
          lastType = type;
          lastPlan = planFor(type);
        }
        return lastPlan(values, original);
      };
    },
    forRecord(object) {
      let encoder = recordEncoders.get(object);
      if (encoder !== undefined) return encoder;
      // Plans by field set: a record leaves out its null fields, and field-level security may
      // hide some, so the set is the record's own; the source's selection makes it stable.
      const plans = new Map<string, (values: readonly unknown[], original: string) => string>();
      encoder = (record, original) => {
        const [names, values] = recordFields(record);
        const key = names.join(",");
        let plan = plans.get(key);
        if (plan === undefined) {
          if (plans.size >= MAX_RECORD_PLANS) plans.clear();
          plan = compileRecordPlan(object, names, ctx);
          plans.set(key, plan);
        }
        return plan(values, original ?? JSON.stringify(record));
      };
      recordEncoders.set(object, encoder);
      return encoder;
    },
    async close() {
      // The .mmdb readers hold their file in memory and have nothing to release.
    },
  };
}
