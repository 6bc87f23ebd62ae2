import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Reply {
  status: number;
  contentType: string;
  body: string;
}

/** A GET route: its reply, built when asked. */
export type Route = () => Reply | Promise<Reply>;

export interface OperatorServer {
  /** The address it listens on, as `http://host:port` (the port the system chose for port 0). */
  readonly url: string;
  close(): Promise<void>;
}

const NOTHING_ELSE =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/**
 * A small HTTP server for the people and probes watching the collector: GET routes only, no state
 * of its own. A route that throws answers 500 with its message; it never touches collection.
 * Every answer forbids the page to load anything from anywhere (the status page is self-contained).
 */
export async function startOperatorServer(
  address: { host: string; port: number },
  routes: Record<string, Route>,
): Promise<OperatorServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    const send = (reply: Reply) => {
      res.writeHead(reply.status, {
        "content-type": reply.contentType,
        "cache-control": "no-store",
        "content-security-policy": NOTHING_ELSE,
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : reply.body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return send({ status: 405, contentType: "text/plain; charset=utf-8", body: "only GET and HEAD\n" });
    }
    if (route === undefined) {
      return send({
        status: 404,
        contentType: "text/plain; charset=utf-8",
        body: `not found; try ${Object.keys(routes).join(", ")}\n`,
      });
    }
    Promise.resolve()
      .then(route)
      .then(send, (err: unknown) =>
        send({
          status: 500,
          contentType: "text/plain; charset=utf-8",
          body: `${err instanceof Error ? err.message : String(err)}\n`,
        }),
      );
  });
  await listen(server, address);
  const bound = server.address() as AddressInfo;
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection must not hold the shutdown.
        server.closeAllConnections();
      }),
  };
}

/** Resolves once listening; rejects with the socket's error (EADDRINUSE, EACCES, ...). */
function listen(server: Server, address: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
