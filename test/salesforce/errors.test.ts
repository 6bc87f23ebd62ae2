import { describe, expect, it } from "vitest";
import { apiError, readErrorBody, SalesforceRequestLimitError } from "../../src/salesforce/errors.js";

describe("readErrorBody", () => {
  it("reads Salesforce's JSON error array, joining several messages", () => {
    expect(
      readErrorBody(400, "application/json", '[{"message":"bad","errorCode":"MALFORMED_QUERY"}]'),
    ).toEqual({
      errorCode: "MALFORMED_QUERY",
      detail: "bad",
    });
    expect(
      readErrorBody(
        400,
        "application/json",
        '[{"errorCode":"A","message":"one"},{"errorCode":"B","message":"two"}]',
      ),
    ).toEqual({ errorCode: "A", detail: "one | two" });
  });

  it("reads an OAuth-style error object", () => {
    expect(readErrorBody(401, undefined, '{"error":"invalid_token","error_description":"expired"}')).toEqual({
      errorCode: "invalid_token",
      detail: "expired",
    });
  });

  it("describes HTML and empty bodies instead of quoting them", () => {
    expect(readErrorBody(503, "text/html; charset=utf-8", "<html>down</html>")).toEqual({
      errorCode: "HTTP_503",
      detail: "unexpected text/html response body",
    });
    expect(readErrorBody(502, undefined, "")).toEqual({
      errorCode: "HTTP_502",
      detail: "empty response body",
    });
    expect(readErrorBody(500, "application/json", "[]")).toEqual({
      errorCode: "HTTP_500",
      detail: "unexpected application/json response body",
    });
  });
});

describe("apiError", () => {
  it("types REQUEST_LIMIT_EXCEEDED and says what happens next", () => {
    const error = apiError(
      403,
      "application/json",
      '[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]',
      "GET /services/data/v64.0/query",
    );
    expect(error).toBeInstanceOf(SalesforceRequestLimitError);
    expect(error.message).toContain("resumes at a later poll");
  });
});
