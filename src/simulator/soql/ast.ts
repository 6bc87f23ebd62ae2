/** The syntax tree of a SOQL statement, before any field is resolved against a schema. */

/** A name as written, with where it was written (for error carets). */
export interface Name {
  text: string;
  offset: number;
}

export type Literal =
  | { kind: "string"; value: string; offset: number }
  | { kind: "number"; value: number; offset: number }
  | { kind: "boolean"; value: boolean; offset: number }
  | { kind: "null"; offset: number }
  /** YYYY-MM-DD, as epoch milliseconds of midnight UTC. */
  | { kind: "date"; value: number; offset: number }
  /** An ISO dateTime, as epoch milliseconds. */
  | { kind: "datetime"; value: number; offset: number }
  /** A relative range such as YESTERDAY or LAST_N_DAYS:7 (name upper-cased, n when the literal takes one). */
  | { kind: "dateRange"; name: string; n?: number; offset: number };

export type ComparisonOperator = "=" | "!=" | "<" | "<=" | ">" | ">=";

export type Condition =
  | { kind: "and" | "or"; operands: Condition[] }
  | { kind: "not"; operand: Condition }
  | { kind: "compare"; field: Name; operator: ComparisonOperator; value: Literal }
  | { kind: "in"; field: Name; negated: boolean; values: Literal[] }
  /** `field LIKE 'pattern'`: % any run of characters, _ one character, \\% and \\_ themselves. */
  | { kind: "like"; field: Name; pattern: Literal };

export interface OrderItem {
  field: Name;
  descending: boolean;
  /** Where nulls go; when the query does not say, ASC puts them first and DESC last. */
  nullsFirst: boolean;
}

export interface SoqlQuery {
  /** The statement as received, kept to quote it in error messages. */
  text: string;
  /** Selected fields in SELECT order; empty for SELECT COUNT(). */
  fields: Name[];
  count: boolean;
  object: Name;
  where?: Condition;
  orderBy: OrderItem[];
  limit?: number;
  /** OFFSET n: rows skipped after ORDER BY, before LIMIT. */
  offset?: number;
}
