import { describe, expect, it } from "vitest";
import { startOperatorServer } from "../../src/observability/http-server.js";

describe("the operator's HTTP server", () => {
  it("answers its GET routes, 404 elsewhere, 405 to other methods, 500 when a route throws; forbids external loads", async () => {
    const server = await startOperatorServer(
      { host: "127.0.0.1", port: 0 },
      {
        "/": () => ({ status: 200, contentType: "text/html", body: "<p>hi</p>" }),
        "/broken": () => {
          throw new Error("cannot read the state");
        },
      },
    );
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(`${server.url}/?x=1`);
      expect([page.status, await page.text()]).toEqual([200, "<p>hi</p>"]);
      expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
      expect(page.headers.get("cache-control")).toBe("no-store");
      const missing = await fetch(`${server.url}/nope`);
      expect([missing.status, await missing.text()]).toEqual([404, "not found; try /, /broken\n"]);
      const post = await fetch(`${server.url}/`, { method: "POST" });
      expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
      const broken = await fetch(`${server.url}/broken`);
      expect([broken.status, await broken.text()]).toEqual([500, "cannot read the state\n"]);
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.url}/`)).rejects.toThrow();
  });

  it("rejects with the socket's error when the port is taken", async () => {
    const first = await startOperatorServer({ host: "127.0.0.1", port: 0 }, {});
    try {
      const port = Number(new URL(first.url).port);
      await expect(startOperatorServer({ host: "127.0.0.1", port }, {})).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
    } finally {
      await first.close();
    }
  });
});
