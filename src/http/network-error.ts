import { ExplainedError } from "../core/errors.js";

/** A server (Salesforce, an intake) could not be reached, or its TLS certificate was not trusted. */
export class NetworkError extends ExplainedError {
  constructor(
    message: string,
    /** The underlying code (`ECONNREFUSED`, `UND_ERR_SOCKET`, `SELF_SIGNED_CERT_IN_CHAIN`, …). */
    readonly code: string,
    /** True when another attempt may succeed (resets, refusals, timeouts); false for TLS trust. */
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, transient ? "retry-unit" : "stop", options);
  }
}

/** Network failures worth another attempt: the next one may well get through. */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETDOWN",
  "ENETUNREACH",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/** Certificate problems: a missing CA, not a flaky network, so retrying cannot help. */
const TLS_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function errorCode(err: unknown): string | undefined {
  // undici wraps the socket's error in `cause` for some failures (connect, proxy tunnel).
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (TRANSIENT_CODES.has(code) || TLS_CODES.has(code))) return code;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * Wraps an error thrown by undici into a NetworkError that says what to check; errors that
 * are not network failures (our own bugs, aborts) are returned unchanged.
 */
export function toNetworkError(err: unknown, origin: string): unknown {
  if (err instanceof NetworkError) return err;
  const code = errorCode(err);
  if (code === undefined) return err;
  if (TLS_CODES.has(code)) {
    return new NetworkError(
      `The TLS certificate of ${origin} is not trusted (${code}). If a proxy or gateway re-signs HTTPS traffic, add its CA certificate with tls.ca_file.`,
      code,
      false,
      { cause: err },
    );
  }
  if (TRANSIENT_CODES.has(code)) {
    return new NetworkError(
      `Could not reach ${origin} (${code}). Check the URL, the network path and the proxy settings (HTTPS_PROXY, NO_PROXY).`,
      code,
      true,
      { cause: err },
    );
  }
  return err;
}
