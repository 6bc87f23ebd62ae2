import { z } from "zod";

/** Where a local HTTP endpoint listens: a host (an IPv4 address, a name, or `[IPv6]`) and a port. */
export interface ListenAddress {
  host: string;
  port: number;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * `host:port`, e.g. `127.0.0.1:9464`. Port 0 asks the system for a free port (the collector logs the
 * one it got), which is what tests use.
 */
export function listenField(example: string) {
  return z.string().transform((text, ctx): ListenAddress => {
    const match = HOST_PORT.exec(text.trim());
    const port = match ? Number(match[2]) : Number.NaN;
    if (!match || port > 65_535) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected host:port such as ${example} (a port from 0 to 65535; 0.0.0.0:9464 listens on every interface)`,
      });
      return z.NEVER;
    }
    // The brackets are URL syntax; the socket wants the bare IPv6 address.
    return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
  });
}
