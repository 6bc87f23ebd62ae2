import { request } from "node:http";
import { medianRun, round } from "../lib/report.mjs";
import { CREDENTIALS, currentHour, startSimulator } from "../lib/services.mjs";

/**
 * One log file of the full declared size streamed by `sfevents simulate` to a client that counts the
 * bytes and drops them (compressed bytes stay compressed): the simulator's speed and peak RSS, with
 * and without gzip. The client is this process; the measured one is the simulator.
 */

const MIB = 1024 * 1024;
const API = "/services/data/v64.0";
/** Issue 2: a 2 GB file must stream while the simulator stays under this. */
const MAX_SIMULATOR_RSS_MB = 150;

export function simulatorStream(gzip) {
  const scenarioName = gzip ? "simulator-stream-gzip" : "simulator-stream";
  return async (context) => {
    const { bytes, runs, seed } = context.options;
    const scenario = {
      seed,
      start: currentHour().toISOString(),
      days: 1,
      org: {
        hourly: false,
        event_types: ["URI"],
        large_files: [{ event_type: "URI", bytes, interval: "Daily" }],
      },
    };
    const results = [];
    for (let i = 1; i <= runs; i++) {
      const simulator = await startSimulator(context, scenarioName, scenario);
      try {
        const token = await accessToken(simulator.url);
        const fileId = await largestFile(simulator.url, token);
        const started = performance.now();
        const wireBytes = await download(simulator.url, token, fileId, gzip);
        const seconds = (performance.now() - started) / 1000;
        const stopped = await simulator.stop();
        results.push({ seconds, wireBytes, peakRssMb: stopped.peakRssMb, cpuSeconds: stopped.cpuSeconds });
        context.log(
          `  ${scenarioName}: run ${i}/${runs}, ${seconds.toFixed(2)} s, peak RSS ${stopped.peakRssMb.toFixed(0)} MB`,
        );
      } catch (err) {
        await simulator.stop();
        throw err;
      }
    }
    const run = medianRun(results);
    const peak = round(run.peakRssMb, 1);
    return {
      scenario: scenarioName,
      bytes,
      wire_bytes: run.wireBytes,
      seconds: round(run.seconds, 2),
      mib_per_s: round(bytes / MIB / run.seconds, 1),
      peak_rss_mb: peak,
      runs: run.allSeconds,
      rss_target: `< ${MAX_SIMULATOR_RSS_MB} MB`,
      rss_met: peak < MAX_SIMULATOR_RSS_MB,
    };
  };
}

async function accessToken(url) {
  const response = await fetch(`${url}/services/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", ...CREDENTIALS }),
  });
  if (!response.ok) throw new Error(`the simulator refused the token request: ${await response.text()}`);
  return (await response.json()).access_token;
}

async function largestFile(url, token) {
  const soql = "SELECT Id, LogFileLength FROM EventLogFile WHERE EventType = 'URI'";
  const response = await fetch(`${url}${API}/query?q=${encodeURIComponent(soql)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`the simulator refused the query: ${await response.text()}`);
  const { records } = await response.json();
  return records.reduce((a, b) => (b.LogFileLength > a.LogFileLength ? b : a)).Id;
}

/** The body's bytes as they came over the wire, read and dropped. */
function download(url, token, fileId, gzip) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${API}/sobjects/EventLogFile/${fileId}/LogFile`, {
      headers: { authorization: `Bearer ${token}`, "accept-encoding": gzip ? "gzip" : "identity" },
    });
    req.on("response", (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`the simulator answered ${res.statusCode} to the download`));
        res.resume();
        return;
      }
      let received = 0;
      res.on("data", (chunk) => {
        received += chunk.length;
      });
      res.on("end", () => resolve(received));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
