/** Salesforce's JSON content type and the shapes of its error answers, for every route to use. */

export const JSON_TYPE = "application/json;charset=UTF-8";

/** The REST API's error shape: a JSON array of {message, errorCode}. */
export function apiErrorBody(errorCode: string, message: string): string {
  return JSON.stringify([{ message, errorCode }]);
}

/** The token endpoint's error shape. */
export function oauthErrorBody(error: string, description: string): string {
  return JSON.stringify({ error, error_description: description });
}
