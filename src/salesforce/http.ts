import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";
import { EnvHttpProxyAgent, type Dispatcher } from "undici";
import { SalesforceNetworkError } from "./errors.js";

export interface DispatcherOptions {
  /**
   * A PEM bundle of extra certificate authorities (`tls.ca_file`), typically the CA of a
   * TLS-inspecting corporate proxy. Added to Node's bundled roots, never replacing them.
   */
  caFile?: string;
}

/**
 * The one outbound HTTP dispatcher, shared by every call to Salesforce (and reusable by outputs).
 * It honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (upper or lower case) through undici's
 * EnvHttpProxyAgent, tunnelling through the proxy with CONNECT, and always verifies certificates.
 */
export function createDispatcher(options: DispatcherOptions = {}): Dispatcher {
  if (options.caFile === undefined) return new EnvHttpProxyAgent();
  let extra: string;
  try {
    extra = readFileSync(options.caFile, "utf8");
  } catch (err) {
    throw new Error(
      `Cannot read the CA bundle tls.ca_file (${options.caFile}): ${(err as Error).message}. Point it at a readable PEM file.`,
    );
  }
  if (!extra.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(
      `The CA bundle tls.ca_file (${options.caFile}) holds no PEM certificate; it must contain "-----BEGIN CERTIFICATE-----" blocks.`,
    );
  }
  // Giving `ca` replaces Node's default trust store, so the bundled roots are passed along with it.
  const ca = [...rootCertificates, extra];
  // Direct connections use `connect`; through a proxy, `requestTls` secures the tunnelled
  // connection to Salesforce and `proxyTls` the connection to an https:// proxy.
  return new EnvHttpProxyAgent({ connect: { ca }, requestTls: { ca }, proxyTls: { ca } });
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
 * Wraps an error thrown by undici into a SalesforceNetworkError that says what to check; errors that
 * are not network failures (our own bugs, aborts) are returned unchanged.
 */
export function toNetworkError(err: unknown, origin: string): unknown {
  if (err instanceof SalesforceNetworkError) return err;
  const code = errorCode(err);
  if (code === undefined) return err;
  if (TLS_CODES.has(code)) {
    return new SalesforceNetworkError(
      `The TLS certificate of ${origin} is not trusted (${code}). If a proxy or gateway re-signs HTTPS traffic, add its CA certificate with tls.ca_file.`,
      code,
      false,
      { cause: err },
    );
  }
  if (TRANSIENT_CODES.has(code)) {
    return new SalesforceNetworkError(
      `Could not reach ${origin} (${code}). Check the URL, the network path and the proxy settings (HTTPS_PROXY, NO_PROXY).`,
      code,
      true,
      { cause: err },
    );
  }
  return err;
}

/** A response header as one string (undici gives arrays for repeated headers). */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** `Retry-After` in milliseconds, from either of its forms (seconds or an HTTP date). */
export function retryAfterMs(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const value = header(headers, "retry-after");
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Reads at most `limit` bytes of a body as text and discards the rest, so an error page of any size
 * costs bounded memory and the connection is released.
 */
export async function readCapped(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf.subarray(0, limit - size));
    size += Math.min(buf.length, limit - size);
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}
