/**
 * Resolves a parsed query against an object's schema and compiles it once: fields get their canonical
 * spelling and type, literals are type-checked the way Salesforce does, and the WHERE clause becomes a
 * tree of closures, so running it over 20,000 records costs a few milliseconds.
 *
 * Semantics reproduced from Salesforce:
 * - text (string, picklist) compares case-insensitively; Ids compare as exact strings;
 * - null is a value: `f = null`, `f != null`; `f != 'x'` and `f NOT IN ('x')` hold when f is null,
 *   while <, <=, >, >= never hold for a null field (nor against a null literal);
 * - ORDER BY puts nulls first for ASC and last for DESC unless NULLS FIRST|LAST says otherwise; ties
 *   keep the input order, so a sort is stable and total.
 */
import type { ComparisonOperator, Condition, Literal, Name, OrderItem, SoqlQuery } from "./ast.js";
import { type DateRange, dateLiteralRange } from "./date-literals.js";
import { errorAt, noSuchColumn, SoqlError } from "./errors.js";
import { canonicalId } from "./id-literal.js";
import type { SObjectSchema, SoqlField, SoqlFieldType, SoqlRecord } from "./schema.js";

export interface PreparedQuery {
  readonly object: SObjectSchema;
  /** Selected fields, canonical spelling, in SELECT order (empty for SELECT COUNT()). */
  readonly fields: string[];
  /** SELECT COUNT(): the answer is the number of matching records (run() still returns them, projected to nothing). */
  readonly count: boolean;
  /** WHERE, ORDER BY, OFFSET and LIMIT applied; each record projected to `fields`. */
  run(records: Iterable<SoqlRecord>, now: Date): SoqlRecord[];
  /** The WHERE clause alone, for callers that stream records in their own order. */
  matcher(now: Date): (record: SoqlRecord) => boolean;
  /** A record cut down to the selected fields. */
  project(record: SoqlRecord): SoqlRecord;
}

type Value = SoqlRecord[string];
/** A comparable form of a field value: lower-cased text, exact Ids, numbers for the rest. */
type Key = string | number;
type Predicate = (record: SoqlRecord) => boolean;
/** A WHERE clause waiting for the `now` its date literals are relative to. */
type CompiledCondition = (now: number) => Predicate;

/** How each field type's values compare. */
const KEY_OF: Record<SoqlFieldType, (value: Exclude<Value, null>) => Key> = {
  id: (v) => v as string,
  reference: (v) => v as string,
  base64: (v) => v as string,
  string: (v) => (v as string).toLowerCase(),
  picklist: (v) => (v as string).toLowerCase(),
  int: (v) => v as number,
  double: (v) => v as number,
  date: (v) => v as number,
  datetime: (v) => v as number,
  boolean: (v) => (v ? 1 : 0),
};

/** Which literals each field type accepts, and the type name Salesforce's error message uses. */
const ACCEPTS: Record<SoqlFieldType, { literals: Literal["kind"][]; typeName: string }> = {
  id: { literals: ["string"], typeName: "id" },
  reference: { literals: ["string"], typeName: "id" },
  base64: { literals: ["string"], typeName: "string" },
  string: { literals: ["string"], typeName: "string" },
  picklist: { literals: ["string"], typeName: "string" },
  // "integer" is inferred: published messages show "double", "boolean", "date", "dateTime", "string".
  int: { literals: ["number"], typeName: "integer" },
  double: { literals: ["number"], typeName: "double" },
  boolean: { literals: ["boolean"], typeName: "boolean" },
  date: { literals: ["date", "dateRange"], typeName: "date" },
  datetime: { literals: ["datetime", "dateRange"], typeName: "dateTime" },
};

const compareKeys = (a: Key, b: Key): number => (a < b ? -1 : a > b ? 1 : 0);

/** Text values repeat (picklists above all): lower-case each distinct one once, not once per record. */
const MEMO_LIMIT = 10_000;
function keyFunction(type: SoqlFieldType): (value: Exclude<Value, null>) => Key {
  const keyOf = KEY_OF[type];
  if (type !== "string" && type !== "picklist") return keyOf;
  const memo = new Map<Value, Key>();
  return (value) => {
    let key = memo.get(value);
    if (key === undefined) {
      key = keyOf(value);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(value, key);
    }
    return key;
  };
}

export function prepareQuery(
  query: SoqlQuery,
  lookup: (objectName: string) => SObjectSchema | undefined,
): PreparedQuery {
  const object = lookup(query.object.text);
  if (object === undefined) {
    throw errorAt(
      "INVALID_TYPE",
      query.text,
      query.object.offset,
      `sObject type '${query.object.text}' is not supported. If you are attempting to use a custom object, be ` +
        "sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for " +
        "the appropriate names.",
    );
  }
  const resolver = new FieldResolver(query.text, object);
  const fields = selectedFields(query.fields, resolver);
  const where = query.where === undefined ? undefined : compileCondition(query.where, resolver);
  const sort = compileOrderBy(query.orderBy, resolver);
  const limit = query.limit;
  const offset = query.offset ?? 0;
  const matcher = (now: Date) => (where === undefined ? () => true : where(now.getTime()));

  return {
    object,
    fields,
    count: query.count,
    matcher,
    project: (record) => project(record, fields),
    run(records, now) {
      const matches = matcher(now);
      const selected: SoqlRecord[] = [];
      // Without ORDER BY the first `offset + limit` matches are the answer: stop reading there.
      const enough = sort === undefined && limit !== undefined ? offset + limit : Number.POSITIVE_INFINITY;
      if (enough > 0) {
        for (const record of records) {
          if (!matches(record)) continue;
          selected.push(record);
          if (selected.length >= enough) break;
        }
      }
      const ordered = (sort === undefined ? selected : sort(selected)).slice(offset);
      const kept = limit === undefined ? ordered : ordered.slice(0, limit);
      return kept.map((record) => project(record, fields));
    },
  };
}

function project(record: SoqlRecord, fields: string[]): SoqlRecord {
  const out: SoqlRecord = {};
  for (const name of fields) out[name] = record[name] ?? null;
  return out;
}

/** Finds fields by name, case-insensitively, and words the errors Salesforce gives for bad names. */
class FieldResolver {
  private readonly byName = new Map<string, SoqlField>();

  constructor(
    readonly text: string,
    readonly object: SObjectSchema,
  ) {
    for (const field of object.fields) this.byName.set(field.name.toLowerCase(), field);
  }

  resolve(name: Name): SoqlField {
    let written = name.text;
    // EventLogFile.Id names the queried object's own field; any other path is a relationship.
    const prefix = `${this.object.name.toLowerCase()}.`;
    if (written.toLowerCase().startsWith(prefix)) written = written.slice(prefix.length);
    const dot = written.indexOf(".");
    if (dot !== -1) {
      throw errorAt(
        "INVALID_FIELD",
        this.text,
        name.offset,
        `Didn't understand relationship '${written.slice(0, dot)}' in field path. If you are attempting to use ` +
          "a custom relationship, be sure to append the '__r' after the custom relationship name. Please " +
          "reference your WSDL or the describe call for the appropriate names.",
      );
    }
    const field = this.byName.get(written.toLowerCase());
    if (field === undefined) throw noSuchColumn(this.text, name.offset, written, this.object.name);
    return field;
  }

  filterable(name: Name): SoqlField {
    const field = this.resolve(name);
    if (field.filterable === false) throw this.refused(name, field, "filtered");
    return field;
  }

  sortable(name: Name): SoqlField {
    const field = this.resolve(name);
    if (field.sortable === false) throw this.refused(name, field, "sorted");
    return field;
  }

  private refused(name: Name, field: SoqlField, what: string): SoqlError {
    return errorAt(
      "INVALID_FIELD",
      this.text,
      name.offset,
      `field '${field.name}' can not be ${what} in a query call`,
    );
  }
}

function selectedFields(names: Name[], resolver: FieldResolver): string[] {
  const fields: string[] = [];
  for (const name of names) {
    const field = resolver.resolve(name);
    if (fields.includes(field.name)) {
      throw new SoqlError("INVALID_FIELD", `duplicate field selected: ${field.name}`);
    }
    fields.push(field.name);
  }
  return fields;
}

function compileCondition(condition: Condition, resolver: FieldResolver): CompiledCondition {
  switch (condition.kind) {
    case "and": {
      const operands = condition.operands.map((c) => compileCondition(c, resolver));
      return (now) => {
        const bound = operands.map((c) => c(now));
        return (record) => {
          for (const p of bound) if (!p(record)) return false;
          return true;
        };
      };
    }
    case "or": {
      const operands = condition.operands.map((c) => compileCondition(c, resolver));
      return (now) => {
        const bound = operands.map((c) => c(now));
        return (record) => {
          for (const p of bound) if (p(record)) return true;
          return false;
        };
      };
    }
    case "not": {
      const operand = compileCondition(condition.operand, resolver);
      return (now) => {
        const p = operand(now);
        return (record) => !p(record);
      };
    }
    case "compare": {
      const field = resolver.filterable(condition.field);
      const value = checkLiteral(condition.value, field, condition.field, resolver);
      return compileComparison(field, condition.operator, value);
    }
    case "like": {
      const field = resolver.filterable(condition.field);
      if (field.type !== "string" && field.type !== "picklist") {
        throw errorAt(
          "INVALID_FIELD",
          resolver.text,
          condition.field.offset,
          `invalid operator on ${ACCEPTS[field.type].typeName} field: LIKE`,
        );
      }
      const pattern = checkLiteral(condition.pattern, field, condition.field, resolver);
      return compileLike(field, pattern);
    }
    case "in": {
      const field = resolver.filterable(condition.field);
      const values = condition.values.map((v) => checkLiteral(v, field, condition.field, resolver));
      const member = compileMembership(field, values);
      return condition.negated
        ? (now) => {
            const p = member(now);
            return (record) => !p(record);
          }
        : member;
    }
  }
}

/** A literal checked against its field's type: null, a range relative to now, or a comparable key. */
type CheckedLiteral =
  | { kind: "null" }
  | { kind: "range"; name: string; n?: number }
  | { kind: "key"; key: Key };

function checkLiteral(
  literal: Literal,
  field: SoqlField,
  written: Name,
  resolver: FieldResolver,
): CheckedLiteral {
  if (literal.kind === "null") return { kind: "null" };
  const accepts = ACCEPTS[field.type];
  if (!accepts.literals.includes(literal.kind)) {
    const quoting = accepts.literals.includes("string")
      ? "should be enclosed in quotes"
      : "should not be enclosed in quotes";
    throw errorAt(
      "INVALID_FIELD",
      resolver.text,
      written.offset,
      `value of filter criterion for field '${field.name}' must be of type ${accepts.typeName} and ${quoting}`,
    );
  }
  switch (literal.kind) {
    case "dateRange":
      return { kind: "range", name: literal.name, n: literal.n };
    case "boolean":
      return { kind: "key", key: literal.value ? 1 : 0 };
    case "string": {
      if (field.type !== "id" && field.type !== "reference")
        return { kind: "key", key: KEY_OF[field.type](literal.value) };
      const id = canonicalId(literal.value);
      if (id === undefined) {
        throw errorAt(
          "INVALID_QUERY_FILTER_OPERATOR",
          resolver.text,
          written.offset,
          `invalid ID field: ${literal.value}`,
        );
      }
      return { kind: "key", key: id };
    }
    default:
      return { kind: "key", key: literal.value };
  }
}

/** Where a comparison with a date range holds, given the range ([start, end)) and a non-null value. */
const RANGE_TEST: Record<ComparisonOperator, (v: number, r: DateRange) => boolean> = {
  "=": (v, r) => v >= r.start && v < r.end,
  "!=": (v, r) => v < r.start || v >= r.end,
  "<": (v, r) => v < r.start,
  "<=": (v, r) => v < r.end,
  ">": (v, r) => v >= r.end,
  ">=": (v, r) => v >= r.start,
};

const KEY_TEST: Record<ComparisonOperator, (order: number) => boolean> = {
  "=": (o) => o === 0,
  "!=": (o) => o !== 0,
  "<": (o) => o < 0,
  "<=": (o) => o <= 0,
  ">": (o) => o > 0,
  ">=": (o) => o >= 0,
};

function compileComparison(
  field: SoqlField,
  operator: ComparisonOperator,
  literal: CheckedLiteral,
): CompiledCondition {
  const name = field.name;
  const keyOf = keyFunction(field.type);
  // With SOQL's null semantics only != holds between null and a value.
  const whenNull = operator === "!=";
  switch (literal.kind) {
    case "null": {
      const holds =
        operator === "="
          ? (v: Value) => v === null
          : operator === "!="
            ? (v: Value) => v !== null
            : () => false;
      return () => (record) => holds(record[name] ?? null);
    }
    case "range": {
      const test = RANGE_TEST[operator];
      return (now) => {
        const range = dateLiteralRange(literal.name, literal.n, now);
        return (record) => {
          const v = record[name] ?? null;
          return v === null ? whenNull : test(v as number, range);
        };
      };
    }
    case "key": {
      const test = KEY_TEST[operator];
      const key = literal.key;
      const predicate: Predicate = (record) => {
        const v = record[name] ?? null;
        return v === null ? whenNull : test(compareKeys(keyOf(v), key));
      };
      return () => predicate;
    }
  }
}

/** LIKE is case-insensitive; the lexer keeps \\% and \\_ escaped so they match themselves. */
function compileLike(field: SoqlField, literal: CheckedLiteral): CompiledCondition {
  const name = field.name;
  if (literal.kind !== "key") return () => () => false;
  let source = "";
  const text = String(literal.key);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && (text[i + 1] === "%" || text[i + 1] === "_")) source += `\\${text[++i]}`;
    else if (c === "%") source += "[\\s\\S]*";
    else if (c === "_") source += "[\\s\\S]";
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const pattern = new RegExp(`^${source}$`, "i");
  const predicate: Predicate = (record) => {
    const v = record[name] ?? null;
    return v !== null && pattern.test(String(v));
  };
  return () => predicate;
}

function compileMembership(field: SoqlField, literals: CheckedLiteral[]): CompiledCondition {
  const name = field.name;
  const keyOf = keyFunction(field.type);
  const keys = new Set<Key>();
  const ranges: { name: string; n?: number }[] = [];
  let matchesNull = false;
  for (const literal of literals) {
    if (literal.kind === "null") matchesNull = true;
    else if (literal.kind === "key") keys.add(literal.key);
    else ranges.push(literal);
  }
  return (now) => {
    const bound = ranges.map((r) => dateLiteralRange(r.name, r.n, now));
    return (record) => {
      const v = record[name] ?? null;
      if (v === null) return matchesNull;
      if (keys.has(keyOf(v))) return true;
      return bound.some((r) => (v as number) >= r.start && (v as number) < r.end);
    };
  };
}

/** A stable sort over the ORDER BY items; undefined when the query has none. */
function compileOrderBy(
  items: OrderItem[],
  resolver: FieldResolver,
): ((records: SoqlRecord[]) => SoqlRecord[]) | undefined {
  if (items.length === 0) return undefined;
  const columns = items.map((item) => {
    const field = resolver.sortable(item.field);
    return {
      name: field.name,
      type: field.type,
      direction: item.descending ? -1 : 1,
      nullOrder: item.nullsFirst ? -1 : 1,
    };
  });
  return (records) => {
    // Keys are computed once per record and column, not once per comparison.
    const keys = columns.map((c) => {
      const keyOf = keyFunction(c.type);
      return records.map((record) => {
        const v = record[c.name] ?? null;
        return v === null ? null : keyOf(v);
      });
    });
    const order = records.map((_, index) => index);
    order.sort((a, b) => {
      for (let c = 0; c < columns.length; c++) {
        const x = keys[c][a];
        const y = keys[c][b];
        if (x === y) continue;
        if (x === null) return columns[c].nullOrder;
        if (y === null) return -columns[c].nullOrder;
        return x < y ? -columns[c].direction : columns[c].direction;
      }
      return a - b;
    });
    return order.map((index) => records[index]);
  };
}
