/**
 * The subset of SOQL a big object takes (Salesforce's "SOQL with Big Objects" and the RTEM storage
 * page): WHERE walks one of the object's indexes from its first field without gaps, = or IN (IN
 * once) on any field used, ranges only on the last one; no !=, NOT IN, LIKE, OR, NOT, aggregates or
 * OFFSET; ORDER BY only `<first index field> DESC`. Salesforce documents the rules, not every
 * message: the ORDER BY one is as collectors quote it, the others are worded here (docs/simulator.md).
 */
import type { Condition, Name, SoqlQuery } from "./ast.js";
import { errorAt, SoqlError } from "./errors.js";

/** Where a big-object query reads: timestamps in (lo, hi], and whether the WHERE says nothing else. */
export interface IndexRange {
  lo: number;
  hi: number;
  /** True when the range is the whole filter, so rows need no other test to be counted. */
  exact: boolean;
  descending: boolean;
}

type Atom = Extract<Condition, { kind: "compare" | "in" | "like" }>;

const RANGE = new Set(["<", "<=", ">", ">="]);

/**
 * Checks `query` against the index paths of big object `objectName` and returns the time range it
 * reads on `timestamp` (the first field of every path that starts with it). `canonical` gives a
 * field's spelling in the schema (the query was already checked against it).
 */
export function checkBigObjectQuery(
  query: SoqlQuery,
  objectName: string,
  indexes: readonly (readonly string[])[],
  timestamp: string,
  canonical: (name: string) => string,
): IndexRange {
  const { text } = query;
  const unsupported = (message: string) => new SoqlError("BIG_OBJECT_UNSUPPORTED_OPERATION", message);
  if (query.count) throw unsupported(`Aggregate queries are not supported on big object ${objectName}`);
  if (query.offset !== undefined) throw unsupported(`OFFSET is not supported on big object ${objectName}`);

  const [order, ...more] = query.orderBy;
  if (order !== undefined) {
    const field = canonical(order.field.text);
    if (more.length > 0) {
      throw unsupported(
        `Unsupported order by clause on big object ${objectName}: order by ${timestamp} DESC alone`,
      );
    }
    if (field !== timestamp) {
      throw unsupported(
        `Unsupported order by column ${field} on big object ${objectName}: order by ${timestamp} DESC`,
      );
    }
    if (!order.descending)
      throw unsupported(`Unsupported order direction on filter column ${field}: ASCENDING`);
  }

  const atoms = query.where === undefined ? [] : conjuncts(query.where, text);
  const filterError = (at: Name, message: string) =>
    errorAt("INVALID_QUERY_FILTER_OPERATOR", text, at.offset, message);
  let ins = 0;
  const used: string[] = [];
  for (const atom of atoms) {
    const field = canonical(atom.field.text);
    if (atom.kind === "like")
      throw filterError(atom.field, `LIKE is not supported in a query on big object ${objectName}`);
    if (atom.kind === "compare" && atom.operator === "!=") {
      throw filterError(atom.field, `!= is not supported in a query on big object ${objectName}`);
    }
    if (atom.kind === "in" && atom.negated) {
      throw filterError(atom.field, `NOT IN is not supported in a query on big object ${objectName}`);
    }
    if (atom.kind === "in" && ++ins > 1) {
      throw filterError(atom.field, `IN can be used only once in a query on big object ${objectName}`);
    }
    if (!used.includes(field)) used.push(field);
  }
  if (used.length > 0) {
    const path = indexes.find(
      (p) => p.length >= used.length && used.every((f) => p.slice(0, used.length).includes(f)),
    );
    if (path === undefined) {
      const paths = indexes.map((p) => p.join(", ")).join(" or ");
      const stray =
        atoms.find((a) => !indexes.some((p) => p.includes(canonical(a.field.text)))) ??
        atoms.find((a) => !indexes.some((p) => p[0] === canonical(a.field.text))) ??
        atoms[0];
      const field = canonical(stray.field.text);
      throw filterError(
        stray.field,
        indexes.some((p) => p.includes(field))
          ? `field '${field}' cannot be filtered without the index fields before it: a query on big object ${objectName} filters on ${paths}, from the first field without gaps`
          : `field '${field}' is not an index field of big object ${objectName}: filter on ${paths}, from the first field without gaps`,
      );
    }
    const last = path[used.length - 1];
    for (const atom of atoms) {
      const field = canonical(atom.field.text);
      if (atom.kind === "compare" && RANGE.has(atom.operator) && field !== last) {
        throw filterError(
          atom.field,
          `range operator on '${field}': a query on big object ${objectName} takes <, <=, > or >= only on the last index field it uses (${last})`,
        );
      }
    }
  }
  return { ...rangeOn(atoms, timestamp, canonical), descending: order !== undefined };
}

/** The WHERE as a list of AND-ed conditions; OR and NOT are refused. */
function conjuncts(condition: Condition, text: string): Atom[] {
  if ("operands" in condition && condition.kind === "and")
    return condition.operands.flatMap((c) => conjuncts(c, text));
  if ("operands" in condition || condition.kind === "not") {
    throw errorAt(
      "INVALID_QUERY_FILTER_OPERATOR",
      text,
      firstField(condition).offset,
      `${condition.kind.toUpperCase()} is not supported in a query on a big object: join index conditions with AND`,
    );
  }
  return [condition];
}

function firstField(condition: Condition): Name {
  if ("operands" in condition) return firstField(condition.operands[0]);
  if (condition.kind === "not") return firstField(condition.operand);
  return condition.field;
}

/** The (lo, hi] a query's datetime conditions on `timestamp` allow; other literals leave it open (rows are still tested). */
function rangeOn(
  atoms: Atom[],
  timestamp: string,
  canonical: (name: string) => string,
): { lo: number; hi: number; exact: boolean } {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  let exact = true;
  for (const atom of atoms) {
    if (canonical(atom.field.text) !== timestamp) {
      exact = false;
      continue;
    }
    if (atom.kind === "in") {
      const values = atom.values.map((v) => (v.kind === "datetime" ? v.value : Number.NaN));
      if (values.some(Number.isNaN)) exact = false;
      else {
        lo = Math.max(lo, Math.min(...values) - 1);
        hi = Math.min(hi, Math.max(...values));
      }
      // Several instants: the range holds them all, and more.
      if (values.length > 1) exact = false;
      continue;
    }
    if (atom.kind !== "compare" || atom.value.kind !== "datetime") {
      exact = false;
      continue;
    }
    const t = atom.value.value;
    if (atom.operator === ">") lo = Math.max(lo, t);
    else if (atom.operator === ">=") lo = Math.max(lo, t - 1);
    else if (atom.operator === "<") hi = Math.min(hi, t - 1);
    else if (atom.operator === "<=") hi = Math.min(hi, t);
    else if (atom.operator === "=") {
      lo = Math.max(lo, t - 1);
      hi = Math.min(hi, t);
    }
  }
  return { lo, hi, exact };
}
