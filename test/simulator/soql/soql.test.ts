import { describe, expect, it } from "vitest";
import { parseSoql, prepareQuery, SoqlError, type SoqlErrorCode } from "../../../src/simulator/soql/index.js";
import { DAILY_ONLY_EVENT_LOG_FILE, FILES, lookup, NOW, shortId } from "./event-log-file.fixture.js";

function run(soql: string) {
  return prepareQuery(parseSoql(soql), lookup).run(FILES, NOW);
}

function rejection(soql: string, schemaLookup = lookup): SoqlError {
  try {
    prepareQuery(parseSoql(soql), schemaLookup);
  } catch (err) {
    if (err instanceof SoqlError) return err;
    throw err;
  }
  throw new Error(`accepted: ${soql}`);
}

const ALL = ["04", "02", "01", "03", "05", "06", "0a", "07"];
const W = "SELECT Id FROM EventLogFile WHERE";

/** Query text → the fixture files it returns, in order (see the fixture for the data). */
const ACCEPTED: [string, string[]][] = [
  // The collector's resume query: a (CreatedDate, Id) cursor, several files sharing one second.
  [
    "SELECT Id, EventType, LogDate, CreatedDate, Interval, Sequence, LogFileLength, LogFile FROM EventLogFile " +
      "WHERE Interval = 'Hourly' AND EventType IN ('Login','API') AND (CreatedDate > 2026-11-20T10:00:00Z OR " +
      "(CreatedDate = 2026-11-20T10:00:00Z AND Id > '0AT000000000001GAA')) ORDER BY CreatedDate ASC, Id ASC",
    ["02", "03", "07"],
  ],
  ["SELECT Id FROM EventLogFile", ALL],
  ["select id from eventlogfile where eventtype = 'login'", ["01", "03", "05", "07"]],
  ["SeLeCt Id FrOm EventLogFile WhErE EventType = 'API' oRdEr By Id DeSc LiMiT 1", ["06"]],
  ["SELECT Id\nFROM EventLogFile\r\nWHERE EventType = 'API'\n", ["02", "06"]],
  [`${W} (EventType = 'API')`, ["02", "06"]],
  // LIKE: case-insensitive, % any run, _ one character.
  [`${W} EventType LIKE 'a%'`, ["02", "06"]],
  [`${W} EventType LIKE 'L_gin'`, ["01", "03", "05", "07"]],
  [`${W} EventType LIKE '%ogi%' AND EventType LIKE 'Login'`, ["01", "03", "05", "07"]],
  // OFFSET skips after ORDER BY, before LIMIT.
  ["SELECT Id FROM EventLogFile ORDER BY Id LIMIT 2 OFFSET 1", ["02", "03"]],
  ["SELECT Id FROM EventLogFile WHERE EventType = 'API' OFFSET 1", ["06"]],
  // Null is a value: != holds for null fields, ranges never do.
  [`${W} Interval != 'Hourly'`, ["05", "06", "0a"]],
  [`${W} Interval <> 'Hourly'`, ["05", "06", "0a"]],
  [`${W} Interval = null`, ["0a"]],
  [`${W} Interval != NULL`, ["04", "02", "01", "03", "05", "06", "07"]],
  [`${W} Sequence <> 0`, ["04", "02", "01", "03", "0a", "07"]],
  [`${W} Sequence >= 1 AND Sequence < 2`, ["04", "02", "01", "07"]],
  [`${W} Sequence > -1`, ["04", "02", "01", "03", "05", "06", "07"]],
  [`${W} Sequence < null`, []],
  [`${W} ApiVersion = 64.0 AND LogFileLength <= 100`, ["01", "03", "07"]],
  [`${W} NOT Interval = 'Hourly'`, ["05", "06", "0a"]],
  [`${W} NOT (Interval = 'Hourly' OR EventType = 'Logout')`, ["05", "06"]],
  [`${W} EventType NOT IN ('Login', 'API')`, ["04", "0a"]],
  [`${W} Interval IN ('Daily', null)`, ["05", "06", "0a"]],
  [`${W} Interval NOT IN ('Daily', null)`, ["04", "02", "01", "03", "07"]],
  [
    `${W} (EventType = 'URI' OR EventType = 'Logout') OR (Sequence = 2 AND Interval = 'Hourly')`,
    ["04", "03", "0a"],
  ],
  [`${W} LogFileContentType = 'csv' AND EventType = 'uri'`, ["04"]],
  [`${W} LogFileContentType < 'csw' AND LogFileContentType > 'CSU'`, ALL],
  [`${W} IsDeleted = true`, ["0a"]],
  [`${W} IsDeleted = FALSE AND Interval = 'Daily'`, ["05", "06"]],
  [`${W} LogFileContentType = 'It\\'s \\\\ \\n'`, []],
  // Datetime literals: every documented zone form, milliseconds kept.
  [`${W} CreatedDate >= 2026-11-20T11:30:00.250+0000`, ["04", "03", "07"]],
  [`${W} CreatedDate > 2026-11-20T11:30:00.250Z`, ["04", "07"]],
  [`${W} CreatedDate > 2026-11-20T05:00:00-05:00`, ["04", "03", "07"]],
  [`${W} CreatedDate = 2026-11-20T11:00:00+01:00`, ["02", "01"]],
  [`${W} CreatedDate = 2026-11-20T11:00:00+0100`, ["02", "01"]],
  // Date literals, relative to Friday 2026-11-20 15:00 UTC.
  [`${W} CreatedDate = TODAY`, ["04", "02", "01", "03", "05", "07"]],
  [`${W} CreatedDate = YESTERDAY`, ["06"]],
  [`${W} CreatedDate > YESTERDAY`, ["04", "02", "01", "03", "05", "07"]],
  [`${W} CreatedDate >= YESTERDAY`, ["04", "02", "01", "03", "05", "06", "07"]],
  [`${W} CreatedDate < YESTERDAY`, ["0a"]],
  [`${W} CreatedDate <= YESTERDAY`, ["06", "0a"]],
  [`${W} CreatedDate != TODAY`, ["06", "0a"]],
  [`${W} CreatedDate = TOMORROW`, []],
  [`${W} CreatedDate = LAST_N_DAYS:1`, ["04", "02", "01", "03", "05", "06", "07"]],
  [`${W} LogDate = LAST_N_DAYS:7`, ["04", "02", "01", "03", "05", "06", "07"]],
  [`${W} LogDate = LAST_N_DAYS:8`, ALL],
  [`${W} CreatedDate = N_DAYS_AGO:7`, ["0a"]],
  [`${W} CreatedDate = LAST_N_HOURS:1`, ["07"]],
  [`${W} CreatedDate = LAST_N_HOURS:3`, ["04", "07"]],
  [`${W} CreatedDate = NEXT_N_DAYS:3`, []],
  [`${W} CreatedDate = THIS_WEEK`, ["04", "02", "01", "03", "05", "06", "07"]],
  [`${W} CreatedDate = LAST_WEEK`, ["0a"]],
  [`${W} CreatedDate = THIS_MONTH`, ALL],
  [`${W} CreatedDate IN (YESTERDAY, N_DAYS_AGO:7)`, ["06", "0a"]],
  // Ids: exact, case-sensitive; a 15-character Id means its 18-character form.
  [`${W} Id = '0AT000000000003'`, ["03"]],
  [`${W} Id IN ('0AT000000000003GAA', '0AT000000000005')`, ["03", "05"]],
  [`${W} Id = '0at000000000003GAA'`, []],
  [`${W} CreatedById = '005000000000001AAA'`, ALL],
  // Sorting: nulls first for ASC, last for DESC, ties in input order, text case-insensitive.
  [`${W} Id != null ORDER BY LogFileLength DESC`, ["06", "05", "02", "04", "01", "03", "07", "0a"]],
  ["SELECT Id FROM EventLogFile ORDER BY LogFileLength", ["0a", "07", "03", "01", "04", "02", "05", "06"]],
  ["SELECT Id FROM EventLogFile ORDER BY LogFileLength ASC NULLS LAST LIMIT 2", ["07", "03"]],
  ["SELECT Id FROM EventLogFile ORDER BY LogFileLength DESC NULLS FIRST LIMIT 2", ["0a", "06"]],
  ["SELECT Id FROM EventLogFile ORDER BY Id", ["01", "02", "03", "04", "05", "06", "07", "0a"]],
  ["SELECT Id FROM EventLogFile ORDER BY CreatedDate", ["0a", "06", "05", "02", "01", "03", "04", "07"]],
  [
    "SELECT Id FROM EventLogFile ORDER BY EventType, Id DESC",
    ["06", "02", "07", "05", "03", "01", "0a", "04"],
  ],
  [
    "SELECT Id FROM EventLogFile ORDER BY Interval DESC, Sequence",
    ["04", "02", "01", "07", "03", "05", "06", "0a"],
  ],
  ["SELECT Id FROM EventLogFile ORDER BY CreatedDate DESC LIMIT 2", ["07", "04"]],
  ["SELECT Id FROM EventLogFile LIMIT 3", ["04", "02", "01"]],
  ["SELECT Id FROM EventLogFile LIMIT 0", []],
];

/** Query text → the error code and a fragment of Salesforce's message. */
const REJECTED: [string, SoqlErrorCode, string][] = [
  ["SELECT Id FROM Foo", "INVALID_TYPE", "sObject type 'Foo' is not supported."],
  ["SELECT Id, Bogus FROM EventLogFile", "INVALID_FIELD", "No such column 'Bogus' on entity 'EventLogFile'."],
  [`${W} Bogus = 1`, "INVALID_FIELD", "No such column 'Bogus'"],
  ["SELECT Id FROM EventLogFile ORDER BY Bogus", "INVALID_FIELD", "No such column 'Bogus'"],
  [
    "SELECT CreatedBy.Name FROM EventLogFile",
    "INVALID_FIELD",
    "Didn't understand relationship 'CreatedBy' in field path.",
  ],
  ["SELECT Id, id FROM EventLogFile", "INVALID_FIELD", "duplicate field selected: Id"],
  [`${W} LogFile = 'x'`, "INVALID_FIELD", "field 'LogFile' can not be filtered in a query call"],
  [
    "SELECT Id FROM EventLogFile ORDER BY LogFile",
    "INVALID_FIELD",
    "field 'LogFile' can not be sorted in a query call",
  ],
  // Literal types, as Salesforce words them.
  [
    `${W} CreatedDate > '2026-11-20T10:00:00Z'`,
    "INVALID_FIELD",
    "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
  ],
  [
    `${W} CreatedDate > 2026-11-20`,
    "INVALID_FIELD",
    "must be of type dateTime and should not be enclosed in quotes",
  ],
  [`${W} CreatedDate IN (2026-11-20T10:00:00Z, 5)`, "INVALID_FIELD", "must be of type dateTime"],
  [
    `${W} EventType = 5`,
    "INVALID_FIELD",
    "field 'EventType' must be of type string and should be enclosed in quotes",
  ],
  [`${W} EventType = TODAY`, "INVALID_FIELD", "must be of type string and should be enclosed in quotes"],
  [`${W} EventType = true`, "INVALID_FIELD", "must be of type string"],
  [
    `${W} Sequence = '1'`,
    "INVALID_FIELD",
    "field 'Sequence' must be of type integer and should not be enclosed in quotes",
  ],
  [
    `${W} LogFileLength > '5'`,
    "INVALID_FIELD",
    "must be of type double and should not be enclosed in quotes",
  ],
  [
    `${W} IsDeleted = 'true'`,
    "INVALID_FIELD",
    "must be of type boolean and should not be enclosed in quotes",
  ],
  [`${W} Id = 5`, "INVALID_FIELD", "field 'Id' must be of type id and should be enclosed in quotes"],
  [`${W} Id = 'abc'`, "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"],
  [
    `${W} Id IN ('0AT000000000003GAA', '0AT00000000000')`,
    "INVALID_QUERY_FILTER_OPERATOR",
    "invalid ID field: 0AT00000000000",
  ],
  // Syntax.
  [
    `${W} Interval = 'Hourly' AND EventType = 'API' OR EventType = 'Login'`,
    "MALFORMED_QUERY",
    "unexpected token: 'OR'",
  ],
  [
    `${W} Interval = 'Hourly' OR EventType = 'API' AND EventType = 'Login'`,
    "MALFORMED_QUERY",
    "unexpected token: 'AND'",
  ],
  [
    `${W} (EventType = 'API' OR EventType = 'URI') AND Sequence = 1 OR Sequence = 2`,
    "MALFORMED_QUERY",
    "unexpected token: 'OR'",
  ],
  [`${W} CreatedDate > 2026-11-20T10:00:00`, "MALFORMED_QUERY", "no viable alternative at character '<EOF>'"],
  [
    `${W} CreatedDate > 2026-11-20T10:00:00 ORDER BY Id`,
    "MALFORMED_QUERY",
    "no viable alternative at character ' '",
  ],
  [`${W} CreatedDate > 2026-11-20T10:00Z`, "MALFORMED_QUERY", "no viable alternative at character 'Z'"],
  [`${W} CreatedDate > 2026-02-30T10:00:00Z`, "MALFORMED_QUERY", "2026-02-30T10:00:00Z"],
  [`${W} EventType = "API"`, "MALFORMED_QUERY", `no viable alternative at character '"'`],
  [`${W} EventType = 'API`, "MALFORMED_QUERY", "no viable alternative at character '<EOF>'"],
  [`${W} EventType = 'Lo\\gin'`, "MALFORMED_QUERY", "Illegal character sequence '\\g' in string literal."],
  [`${W} EventType = Login`, "MALFORMED_QUERY", "expecting a colon, found 'Login'"],
  [`${W} CreatedDate > :since`, "MALFORMED_QUERY", "Bind variables only allowed in Apex code"],
  [`${W} CreatedDate = LAST_N_DAYS`, "MALFORMED_QUERY", "unexpected token: 'LAST_N_DAYS'"],
  [`${W} CreatedDate = LAST_N_DAYS: 3`, "MALFORMED_QUERY", "unexpected token: 'LAST_N_DAYS'"],
  [`${W} (EventType = 'API' LIMIT 5`, "MALFORMED_QUERY", "expecting a right parentheses, found 'LIMIT'"],
  [`${W} EventType IN ('API' 'URI')`, "MALFORMED_QUERY", "expecting a right parentheses, found ''URI''"],
  [`${W} EventType IN ()`, "MALFORMED_QUERY", "unexpected token: ')'"],
  [`${W} LogFileLength LIKE '1%'`, "INVALID_FIELD", "invalid operator on double field: LIKE"],
  [W, "MALFORMED_QUERY", "unexpected token: '<EOF>'"],
  ["SELECT Id FROM EventLogFile FOO", "MALFORMED_QUERY", "unexpected token: 'FOO'"],
  ["SELECT Id EventLogFile", "MALFORMED_QUERY", "unexpected token: 'EventLogFile'"],
  ["SELECT FROM EventLogFile", "MALFORMED_QUERY", "unexpected token: 'FROM'"],
  ["SELECT Id, FROM EventLogFile", "MALFORMED_QUERY", "unexpected token: 'FROM'"],
  ["DELETE FROM EventLogFile", "MALFORMED_QUERY", "unexpected token: 'DELETE'"],
  ["SELECT Id FROM EventLogFile ORDER Id", "MALFORMED_QUERY", "unexpected token: 'Id'"],
  ["SELECT Id FROM EventLogFile ORDER BY Id NULLS", "MALFORMED_QUERY", "unexpected token: '<EOF>'"],
  ["SELECT Id FROM EventLogFile LIMIT -1", "MALFORMED_QUERY", "unexpected token: '-1'"],
  ["SELECT Id FROM EventLogFile LIMIT 1.5", "MALFORMED_QUERY", "unexpected token: '1.5'"],
  ["SELECT Id FROM EventLogFile LIMIT 12abc", "MALFORMED_QUERY", "no viable alternative at character 'a'"],
  [
    "SELECT Id FROM EventLogFile WHERE Id = '0AT000000000001GAA' #",
    "MALFORMED_QUERY",
    "no viable alternative at character '#'",
  ],
];

describe("SOQL engine: what Salesforce accepts", () => {
  it.each(ACCEPTED)("%s", (soql, expected) => {
    expect(run(soql).map(shortId)).toEqual(expected);
  });

  it("answers with the selected fields only, in SELECT order and canonical spelling", () => {
    const rows = run(
      `SELECT logfilelength, ID, eventlogfile.interval FROM EventLogFile WHERE Id = '0AT000000000001GAA'`,
    );
    expect(rows).toEqual([{ LogFileLength: 100, Id: "0AT000000000001GAA", Interval: "Hourly" }]);
    expect(Object.keys(rows[0])).toEqual(["LogFileLength", "Id", "Interval"]);
    expect(prepareQuery(parseSoql("SELECT sequence, id FROM eventlogfile"), lookup).fields).toEqual([
      "Sequence",
      "Id",
    ]);
  });

  it("projects a field missing from a record as null", () => {
    const rows = prepareQuery(parseSoql("SELECT Id, Interval FROM EventLogFile"), lookup).run(
      [{ Id: "x" }],
      NOW,
    );
    expect(rows).toEqual([{ Id: "x", Interval: null }]);
  });

  it("counts with SELECT COUNT(): no field, one entry per match", () => {
    const prepared = prepareQuery(
      parseSoql("SELECT COUNT() FROM EventLogFile WHERE Interval = 'Daily'"),
      lookup,
    );
    expect(prepared.count).toBe(true);
    expect(prepared.fields).toEqual([]);
    expect(prepared.run(FILES, NOW)).toEqual([{}, {}]);
    expect(prepareQuery(parseSoql("SELECT Id FROM EventLogFile"), lookup).count).toBe(false);
  });

  it("evaluates date literals against the now passed to run, so one prepared query serves a moving clock", () => {
    const prepared = prepareQuery(parseSoql(`${W} CreatedDate = YESTERDAY`), lookup);
    expect(prepared.run(FILES, NOW).map(shortId)).toEqual(["06"]);
    expect(prepared.run(FILES, new Date("2026-11-21T00:00:00Z")).map(shortId)).toEqual([
      "04",
      "02",
      "01",
      "03",
      "05",
      "07",
    ]);
  });

  it("reads records from any iterable, once, and stops at LIMIT when no ORDER BY needs the rest", () => {
    const reads = (soql: string) => {
      let count = 0;
      function* files() {
        for (const f of FILES) {
          count++;
          yield f;
        }
      }
      const rows = prepareQuery(parseSoql(soql), lookup).run(files(), NOW);
      return { rows: rows.map(shortId), count };
    };
    expect(reads("SELECT Id FROM EventLogFile")).toEqual({ rows: ALL, count: FILES.length });
    expect(reads(`${W} EventType = 'Login' LIMIT 2`)).toEqual({ rows: ["01", "03"], count: 4 });
    expect(reads("SELECT Id FROM EventLogFile LIMIT 0")).toEqual({ rows: [], count: 0 });
    expect(reads("SELECT Id FROM EventLogFile ORDER BY Id LIMIT 1")).toEqual({
      rows: ["01"],
      count: FILES.length,
    });
  });

  it("leaves the caller's records untouched", () => {
    const before = JSON.stringify(FILES);
    run("SELECT Id FROM EventLogFile WHERE Interval = 'Hourly' ORDER BY CreatedDate DESC, Id LIMIT 3");
    expect(JSON.stringify(FILES)).toBe(before);
  });
});

describe("SOQL engine: what Salesforce rejects", () => {
  it.each(REJECTED)("%s", (soql, code, fragment) => {
    const err = rejection(soql);
    expect(err.errorCode).toBe(code);
    expect(err.message).toContain(fragment);
  });

  it("answers an empty statement without a caret", () => {
    for (const soql of ["", "   ", "\n"]) {
      const err = rejection(soql);
      expect(err.errorCode).toBe("MALFORMED_QUERY");
      expect(err.message).toBe("SOQL statements cannot be empty or null");
    }
  });

  it("says 'No such column' for Interval when hourly files are off, in the message a real org gave", () => {
    const firstLine = "SELECT Id , EventType , Interval , LogDate , LogFile , LogFileLength";
    const soql = `${firstLine}\nFROM EventLogFile WHERE LogDate = YESTERDAY`;
    const err = rejection(soql, () => DAILY_ONLY_EVENT_LOG_FILE);
    expect(err.errorCode).toBe("INVALID_FIELD");
    expect(err.message).toBe(
      `\n${firstLine}\n${" ".repeat(24)}^\nERROR at Row:1:Column:25\n` +
        "No such column 'Interval' on entity 'EventLogFile'. If you are attempting to use a custom field, be sure " +
        "to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the " +
        "appropriate names.",
    );
    expect(rejection(`${W} Sequence > 0`, () => DAILY_ONLY_EVENT_LOG_FILE).message).toContain(
      "No such column 'Sequence' on entity 'EventLogFile'",
    );
    expect(() => prepareQuery(parseSoql(soql), lookup)).not.toThrow();
  });

  it("puts the caret under the offending token, on its own line, with row and column", () => {
    expect(rejection("SELECT Id FROM Contact123").message).toBe(
      "\nSELECT Id FROM Contact123\n               ^\nERROR at Row:1:Column:16\n" +
        "sObject type 'Contact123' is not supported. If you are attempting to use a custom object, be sure to " +
        "append the '__c' after the entity name. Please reference your WSDL or the describe call for the " +
        "appropriate names.",
    );
    expect(rejection("SELECT Id\r\nFROM EventLogFile\nWHERE Foo = 1 AND Id = null").message).toMatch(
      /^\nWHERE Foo = 1 AND Id = null\n {6}\^\nERROR at Row:3:Column:7\nNo such column 'Foo'/,
    );
    const mixed = `${W} EventType = 'API' AND Sequence = 1 OR Id = null`;
    const column = mixed.indexOf(" OR ") + 2;
    expect(rejection(mixed).message).toBe(
      `\n${mixed}\n${" ".repeat(column - 1)}^\nERROR at Row:1:Column:${column}\nunexpected token: 'OR'`,
    );
  });

  it("reports a character the lexer cannot read at its 0-based position, as Salesforce's lexer does", () => {
    const soql = `${W} CreatedDate < 2016-07-31T04:17:54`;
    expect(rejection(soql).message).toBe(
      `\n${soql}\n${" ".repeat(soql.length - 1)}^\nERROR at Row:1:Column:${soql.length}\n` +
        `line 1:${soql.length} no viable alternative at character '<EOF>'`,
    );
  });

  it("reports syntax errors from parseSoql alone, schema errors from prepareQuery", () => {
    expect(() => parseSoql("SELECT Id FROM")).toThrow(SoqlError);
    expect(() => parseSoql("SELECT Bogus FROM Nothing WHERE X = 'y'")).not.toThrow();
  });

  it("checks the schema of whichever object the lookup returns", () => {
    const loginHistory = { name: "LoginHistory", fields: [{ name: "LoginTime", type: "datetime" as const }] };
    const both = (name: string) => (name.toLowerCase() === "loginhistory" ? loginHistory : lookup(name));
    const prepared = prepareQuery(
      parseSoql("SELECT LoginTime FROM loginhistory WHERE LoginTime > YESTERDAY"),
      both,
    );
    expect(prepared.object).toBe(loginHistory);
    expect(prepared.run([{ LoginTime: NOW.getTime() }, { LoginTime: 0 }], NOW)).toEqual([
      { LoginTime: NOW.getTime() },
    ]);
    expect(rejection("SELECT Id FROM LoginHistory", both).message).toContain(
      "No such column 'Id' on entity 'LoginHistory'",
    );
  });
});
