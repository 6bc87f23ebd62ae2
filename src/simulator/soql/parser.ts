/**
 * SOQL syntax: SELECT field, ... | COUNT() FROM Object [WHERE condition] [ORDER BY field [ASC|DESC]
 * [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n], with `field LIKE 'pattern'` among the conditions. Keywords are case-insensitive. Only syntax is checked here;
 * fields and literal types are checked against the object's schema by prepareQuery.
 *
 * As in Salesforce, AND and OR cannot be mixed at one level without parentheses: the connective that
 * breaks the run is reported as an unexpected token.
 */
import type { ComparisonOperator, Condition, Literal, Name, OrderItem, SoqlQuery } from "./ast.js";
import { dateLiteralArity } from "./date-literals.js";
import { errorAt, SoqlError, unexpectedToken } from "./errors.js";
import { type Token, tokenize } from "./lexer.js";

const COMPARISON_OPERATORS: Record<string, ComparisonOperator> = {
  "=": "=",
  "!=": "!=",
  "<>": "!=",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

/** Words that end a field name's place; a field cannot be spelled like one of them. */
const RESERVED = new Set([
  "SELECT",
  "FROM",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "IN",
  "ORDER",
  "BY",
  "LIMIT",
  "OFFSET",
  "LIKE",
  "NULL",
  "TRUE",
  "FALSE",
]);

export function parseSoql(text: string): SoqlQuery {
  if (text.trim() === "") throw new SoqlError("MALFORMED_QUERY", "SOQL statements cannot be empty or null");
  return new Parser(text, tokenize(text)).query();
}

class Parser {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  query(): SoqlQuery {
    this.keyword("SELECT");
    const { fields, count } = this.selectList();
    this.keyword("FROM");
    const object = this.name();
    const query: SoqlQuery = { text: this.text, fields, count, object, orderBy: [] };
    if (this.acceptKeyword("WHERE")) query.where = this.condition();
    if (this.acceptKeyword("ORDER")) {
      this.keyword("BY");
      query.orderBy = this.orderList();
    }
    if (this.acceptKeyword("LIMIT")) query.limit = this.count();
    if (this.acceptKeyword("OFFSET")) query.offset = this.count();
    const rest = this.peek();
    if (rest.kind !== "eof") throw this.unexpected(rest);
    return query;
  }

  private selectList(): { fields: Name[]; count: boolean } {
    const first = this.peek();
    if (this.isWord(first, "COUNT") && this.tokens[this.at + 1]?.text === "(") {
      this.at += 2;
      this.punct(")");
      return { fields: [], count: true };
    }
    const fields = [this.name()];
    while (this.acceptPunct(",")) fields.push(this.name());
    return { fields, count: false };
  }

  /** A run of operands joined by one connective; a different connective at the same level is an error. */
  private condition(): Condition {
    const first = this.operand();
    const connective = this.peek();
    const kind = this.isWord(connective, "AND") ? "and" : this.isWord(connective, "OR") ? "or" : undefined;
    if (kind === undefined) return first;
    const operands = [first];
    while (true) {
      const next = this.peek();
      if (this.isWord(next, kind)) {
        this.at++;
        operands.push(this.operand());
      } else if (this.isWord(next, kind === "and" ? "OR" : "AND")) {
        throw this.unexpected(next);
      } else {
        return { kind, operands };
      }
    }
  }

  private operand(): Condition {
    if (this.acceptKeyword("NOT")) return { kind: "not", operand: this.operand() };
    if (this.acceptPunct("(")) {
      const inner = this.condition();
      this.punct(")", "expecting a right parentheses");
      return inner;
    }
    const field = this.name();
    const operator = this.peek();
    if (operator.kind === "punct" && Object.hasOwn(COMPARISON_OPERATORS, operator.text)) {
      this.at++;
      return { kind: "compare", field, operator: COMPARISON_OPERATORS[operator.text], value: this.literal() };
    }
    if (this.acceptKeyword("LIKE")) return { kind: "like", field, pattern: this.literal() };
    const negated = this.acceptKeyword("NOT");
    if (!this.acceptKeyword("IN")) throw this.unexpected(this.peek());
    this.punct("(");
    const values = [this.literal()];
    while (this.acceptPunct(",")) values.push(this.literal());
    this.punct(")", "expecting a right parentheses");
    return { kind: "in", field, negated, values };
  }

  private literal(): Literal {
    const token = this.next();
    const offset = token.offset;
    switch (token.kind) {
      case "string":
        return { kind: "string", value: token.value as string, offset };
      case "number":
        return { kind: "number", value: token.value as number, offset };
      case "date":
      case "datetime":
        return { kind: token.kind, value: token.value as number, offset };
      case "word":
        return this.wordLiteral(token);
      case "punct":
        if (token.text === ":") {
          throw errorAt("MALFORMED_QUERY", this.text, offset, "Bind variables only allowed in Apex code");
        }
        throw this.unexpected(token);
      default:
        throw this.unexpected(token);
    }
  }

  private wordLiteral(token: Token): Literal {
    const offset = token.offset;
    const upper = token.text.toUpperCase();
    if (upper === "NULL") return { kind: "null", offset };
    if (upper === "TRUE" || upper === "FALSE") return { kind: "boolean", value: upper === "TRUE", offset };
    const [name, count] = upper.split(":");
    const arity = dateLiteralArity(name);
    if (arity === "fixed" && count === undefined) return { kind: "dateRange", name, offset };
    if (arity === "counted" && count !== undefined) {
      return { kind: "dateRange", name, n: Number(count), offset };
    }
    if (arity === "counted") {
      throw errorAt("MALFORMED_QUERY", this.text, offset, `unexpected token: '${token.text}'`);
    }
    // A bare word where a value belongs reads, to Salesforce, as a bind variable missing its colon.
    throw errorAt("MALFORMED_QUERY", this.text, offset, `expecting a colon, found '${token.text}'`);
  }

  private orderList(): OrderItem[] {
    const items: OrderItem[] = [];
    do {
      const field = this.name();
      const descending = this.acceptKeyword("DESC");
      if (!descending) this.acceptKeyword("ASC");
      let nullsFirst = !descending;
      if (this.acceptKeyword("NULLS")) {
        const which = this.next();
        if (this.isWord(which, "FIRST")) nullsFirst = true;
        else if (this.isWord(which, "LAST")) nullsFirst = false;
        else throw this.unexpected(which);
      }
      items.push({ field, descending, nullsFirst });
    } while (this.acceptPunct(","));
    return items;
  }

  private count(): number {
    const token = this.next();
    if (token.kind !== "number" || !Number.isInteger(token.value) || (token.value as number) < 0) {
      throw this.unexpected(token);
    }
    return token.value as number;
  }

  private name(): Name {
    const token = this.next();
    if (token.kind !== "word" || RESERVED.has(token.text.toUpperCase()) || token.text.includes(":")) {
      throw this.unexpected(token);
    }
    return { text: token.text, offset: token.offset };
  }

  private peek(): Token {
    return this.tokens[this.at];
  }

  private next(): Token {
    const token = this.tokens[this.at];
    if (token.kind !== "eof") this.at++;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === "word" && token.text.toUpperCase() === word.toUpperCase();
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isWord(this.peek(), word)) return false;
    this.at++;
    return true;
  }

  private keyword(word: string): void {
    if (!this.acceptKeyword(word)) throw this.unexpected(this.peek());
  }

  private acceptPunct(punct: string): boolean {
    const token = this.peek();
    if (token.kind !== "punct" || token.text !== punct) return false;
    this.at++;
    return true;
  }

  /** `expecting` names what was missing, in Salesforce's words ("expecting a right parentheses, found 'X'"). */
  private punct(punct: string, expecting?: string): void {
    if (this.acceptPunct(punct)) return;
    const found = this.peek();
    if (expecting === undefined) throw this.unexpected(found);
    throw errorAt("MALFORMED_QUERY", this.text, found.offset, `${expecting}, found '${found.text}'`);
  }

  private unexpected(token: Token): SoqlError {
    return unexpectedToken(this.text, token.offset, token.text);
  }
}
