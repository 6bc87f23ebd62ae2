import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { EnvHttpProxyAgent, type Dispatcher } from "undici";

export interface DispatcherOptions {
  /**
   * A PEM bundle of extra certificate authorities (`tls.ca_file`), typically the CA of a
   * TLS-inspecting corporate proxy. Added to Node's bundled roots, never replacing them.
   */
  caFile?: string;
}

/**
 * The one outbound HTTP dispatcher, shared by every call to Salesforce and by the HTTP outputs.
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
