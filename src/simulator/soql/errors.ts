/**
 * Errors in the shape the REST query endpoint returns them: an errorCode and a message that, when the
 * problem has a place in the query, quotes the query line, puts a caret under the column and names
 * the row and column, e.g.
 *
 *   \nSELECT Id , EventType , Interval\n                        ^\nERROR at Row:1:Column:25\nNo such column ...
 *
 * Salesforce cuts very long lines to a few tokens around the caret; published messages do not agree
 * on the exact window, so the whole line is quoted here (it contains whatever Salesforce would show).
 */

export type SoqlErrorCode =
  | "MALFORMED_QUERY"
  | "INVALID_FIELD"
  | "INVALID_TYPE"
  | "INVALID_QUERY_FILTER_OPERATOR"
  | "BIG_OBJECT_UNSUPPORTED_OPERATION";

export class SoqlError extends Error {
  override readonly name = "SoqlError";
  constructor(
    readonly errorCode: SoqlErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The 1-based row and column of `offset`, and the text of its line. */
export function locate(text: string, offset: number): { row: number; column: number; line: string } {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = text.indexOf("\n", offset);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd).replace(/\r$/, "");
  let row = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < lineStart; i = text.indexOf("\n", i + 1)) row++;
  return { row, column: offset - lineStart + 1, line };
}

/**
 * An error located in `text` at `offset`. `column` overrides the reported column: the lexer reports the
 * 0-based position of a character it cannot read (an ANTLR habit visible in real messages) while the
 * caret stays under column - 1.
 */
export function errorAt(
  code: SoqlErrorCode,
  text: string,
  offset: number,
  explanation: string,
  column?: number,
): SoqlError {
  const where = locate(text, offset);
  const col = column ?? where.column;
  const caret = `${" ".repeat(Math.max(0, col - 1))}^`;
  return new SoqlError(
    code,
    `\n${where.line}\n${caret}\nERROR at Row:${where.row}:Column:${col}\n${explanation}`,
  );
}

/** How a token is quoted in "unexpected token" messages: end of input reads '<EOF>'. */
export function unexpectedToken(text: string, offset: number, tokenText: string): SoqlError {
  return errorAt("MALFORMED_QUERY", text, offset, `unexpected token: '${tokenText}'`);
}

export function noSuchColumn(text: string, offset: number, field: string, objectName: string): SoqlError {
  return errorAt(
    "INVALID_FIELD",
    text,
    offset,
    `No such column '${field}' on entity '${objectName}'. If you are attempting to use a custom field, be sure ` +
      "to append the '__c' after the custom field name. Please reference your WSDL or the describe call for " +
      "the appropriate names.",
  );
}
