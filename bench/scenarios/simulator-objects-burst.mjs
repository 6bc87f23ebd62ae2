import { round } from "../lib/report.mjs";
import { CREDENTIALS, currentHour, startSimulator } from "../lib/services.mjs";

/**
 * A burst of a million ApiEvent rows in one minute, paged through by a client (this process) in
 * pages of 2,000 with ORDER BY EventDate DESC, as a collector reads one window: the simulator must
 * serve it without holding the window (its locator keeps a generator, not the rows). Measured: the
 * simulator's peak RSS and the rows received.
 */

const API = "/services/data/v64.0";
const ROWS = 1_000_000;
/** Issue 9: memory stays bounded on the million-row burst. */
const MAX_SIMULATOR_RSS_MB = 200;

export async function simulatorObjectsBurst(context) {
  const start = currentHour();
  const burstAt = new Date(start.getTime() - 2 * 3_600_000);
  const scenario = {
    seed: context.options.seed,
    start: start.toISOString(),
    days: 1,
    clock: { running: false },
    org: { event_types: ["API"] },
    objects: { bursts: [{ object: "ApiEvent", rows: ROWS, at: burstAt.toISOString(), span: "1m" }] },
  };
  const simulator = await startSimulator(context, "simulator-objects-burst", scenario);
  try {
    const token = await accessToken(simulator.url);
    const from = new Date(burstAt.getTime() - 1).toISOString();
    const to = new Date(burstAt.getTime() + 60_000).toISOString();
    const soql = `SELECT EventIdentifier, EventDate, UserId, SourceIp, Query FROM ApiEvent WHERE EventDate > ${from} AND EventDate <= ${to} ORDER BY EventDate DESC`;
    const started = performance.now();
    let path = `${API}/query?q=${encodeURIComponent(soql)}`;
    let rows = 0;
    let pages = 0;
    let bytes = 0;
    while (path !== undefined) {
      const response = await fetch(`${simulator.url}${path}`, {
        headers: { authorization: `Bearer ${token}`, "Sforce-Query-Options": "batchSize=2000" },
      });
      if (!response.ok)
        throw new Error(`the simulator answered ${response.status}: ${await response.text()}`);
      const text = await response.text();
      bytes += Buffer.byteLength(text);
      const page = JSON.parse(text);
      rows += page.records.length;
      pages++;
      path = page.nextRecordsUrl;
    }
    const seconds = (performance.now() - started) / 1000;
    const stopped = await simulator.stop();
    const peak = round(stopped.peakRssMb, 1);
    context.log(
      `  simulator-objects-burst: ${rows} rows in ${pages} pages, ${seconds.toFixed(1)} s, peak RSS ${peak} MB`,
    );
    return {
      scenario: "simulator-objects-burst",
      rows,
      pages,
      seconds: round(seconds, 2),
      rows_per_s: Math.round(rows / seconds),
      mib_per_s: round(bytes / 1024 / 1024 / seconds, 1),
      peak_rss_mb: peak,
      rss_target: `< ${MAX_SIMULATOR_RSS_MB} MB`,
      rss_met: peak < MAX_SIMULATOR_RSS_MB && rows >= ROWS,
    };
  } catch (err) {
    await simulator.stop();
    throw err;
  }
}

async function accessToken(url) {
  const response = await fetch(`${url}/services/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", ...CREDENTIALS }),
  });
  if (!response.ok) throw new Error(`the simulator refused the token request: ${await response.text()}`);
  return (await response.json()).access_token;
}
