// The Salesforce client's public surface, for the sources, the CLI and the outputs.
export type { SalesforceCredentials, SessionInfo } from "./auth/session.js";
export {
  SalesforceClient,
  DEFAULT_API_VERSION,
  type SalesforceClientOptions,
  type QueryOptions,
  type DescribeResult,
  type DescribeField,
  type OrgLimits,
  type ApiVersion,
} from "./client.js";
export {
  SalesforceApiError,
  SalesforceAuthError,
  SalesforceDownloadError,
  SalesforceRequestLimitError,
  SalesforceTruncatedAnswerError,
} from "./errors.js";
export { parseLimitInfo, type ApiUsage, type LimitInfo } from "./limits.js";
export { DEFAULT_RETRY, type RetryOptions } from "./retry.js";
