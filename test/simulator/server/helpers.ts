import { request } from "node:http";
import type { ScenarioInput } from "../../../src/simulator/scenario.js";
import { type Simulator, startSimulator } from "../../../src/simulator/server/index.js";

/** A Friday afternoon; the clock stays there unless a test moves it. */
export const START = "2026-11-20T15:00:00Z";
export const V = "/services/data/v64.0";

/**
 * A small frozen org, identical on every run: one day of history, the free event types and three
 * licensed ones (an org's first query plans every file, so fewer types keep the tests quick).
 */
export function startOrg(input: ScenarioInput = {}): Promise<Simulator> {
  return startSimulator({
    seed: 3,
    start: START,
    days: 1,
    clock: { running: false },
    ...input,
    org: { event_types: ["API", "Report", "URI"], ...input.org },
  });
}

/** The app's key and secret at a token endpoint: a simulator in-process or one the CLI started. */
export interface ClientCredentials {
  url: string;
  clientId: string;
  clientSecret: string;
}

/** The client-credentials grant, answer unread, for tests of the token endpoint's errors. */
export function requestToken({ url, clientId, clientSecret }: ClientCredentials): Promise<Response> {
  return fetch(`${url}/services/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
}

export async function tokenFor(org: ClientCredentials): Promise<string> {
  const res = await requestToken(org);
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function get(sim: Simulator, path: string, token?: string, headers: Record<string, string> = {}) {
  return fetch(`${sim.url}${path}`, {
    headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
  });
}

export function queryPath(soql: string): string {
  return `${V}/query?q=${encodeURIComponent(soql)}`;
}

export interface QueryPage<T = Record<string, unknown>> {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: T[];
}

export async function query<T = Record<string, unknown>>(sim: Simulator, token: string, soql: string) {
  const res = await get(sim, queryPath(soql), token);
  if (res.status !== 200) throw new Error(`query answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as QueryPage<T>;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Set when the connection broke before the body ended. */
  error?: NodeJS.ErrnoException;
}

/**
 * A request through node:http, which neither decompresses nor hides a broken connection.
 * `pauseEvery`: the reader stops for 20 ms after each so many bytes, so that the server's writes
 * wait on a full socket.
 */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
  { pauseEvery }: { pauseEvery?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const done = (error?: NodeJS.ErrnoException) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), error });
      let sincePause = 0;
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        sincePause += c.length;
        if (pauseEvery === undefined || sincePause < pauseEvery) return;
        sincePause = 0;
        res.pause();
        setTimeout(() => res.resume(), 20);
      });
      res.on("end", () => done());
      res.on("error", (err) => done(err));
    });
    req.on("error", reject);
    req.end();
  });
}
