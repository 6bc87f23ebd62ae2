import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A purpose-built test double for bad input: an "org" that speaks just enough of the API (token,
 * EventLogFile describe, query, download) to serve Event Log Files whose content a real org (and the
 * simulator, which only writes well-formed files) cannot be made to produce: malformed rows, a header
 * that disagrees with LogFileFieldNames, empty files. Every query answers every file, in one page.
 */
export interface FakeLogFile {
  id: string;
  eventType: string;
  /** What the record's LogFileFieldNames declares. */
  fieldNames: string;
  body: Buffer | string;
}

export interface FakeOrg {
  url: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

const API = "/services/data/v64.0";
const CLIENT_ID = "3MVG9fake.bad.input.org";
const CLIENT_SECRET = "fake-org-secret-51d0";
const TOKEN = "00Dfake!bad-input-token";

export async function startFakeOrg(files: FakeLogFile[]): Promise<FakeOrg> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === "/services/oauth2/token") {
      req.resume();
      return json(200, {
        access_token: TOKEN,
        instance_url: base,
        id: `${base}/id/00Dfake/005fake`,
        token_type: "Bearer",
        issued_at: String(Date.now()),
        signature: "fake",
      });
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return json(401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);
    }
    if (url.pathname === `${API}/sobjects/EventLogFile/describe`) {
      const names = ["Id", "EventType", "LogDate", "CreatedDate", "Interval", "Sequence", "LogFileLength"];
      return json(200, {
        name: "EventLogFile",
        fields: [...names, "LogFile", "LogFileFieldNames"].map((name) => ({ name, type: "string" })),
      });
    }
    if (url.pathname === `${API}/query`) {
      const records = files.map((f, i) => ({
        attributes: { type: "EventLogFile", url: `${API}/sobjects/EventLogFile/${f.id}` },
        Id: f.id,
        EventType: f.eventType,
        LogDate: "2026-11-20T10:00:00.000+0000",
        CreatedDate: `2026-11-20T11:0${i}:00.000+0000`,
        Interval: "Hourly",
        Sequence: 1,
        LogFileLength: Buffer.byteLength(f.body),
        LogFile: `${API}/sobjects/EventLogFile/${f.id}/LogFile`,
        LogFileFieldNames: f.fieldNames,
      }));
      return json(200, { totalSize: records.length, done: true, records });
    }
    const download = new RegExp(`^${API}/sobjects/EventLogFile/([^/]+)/LogFile$`).exec(url.pathname);
    const file = download && files.find((f) => f.id === download[1]);
    if (file) {
      res.writeHead(200, { "content-type": "application/octetstream" });
      return res.end(file.body);
    }
    json(404, [{ message: "The requested resource does not exist", errorCode: "NOT_FOUND" }]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
