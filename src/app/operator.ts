import { ConfigError } from "../config/load.js";
import type { ListenAddress } from "../config/listen.js";
import type { Config } from "./config.js";
import type { CycleObserver } from "../core/cycle.js";
import { CollectorStatus, type StatusReadings } from "../observability/collector-status.js";
import { type OperatorServer, startOperatorServer } from "../observability/http-server.js";
import type { Logger } from "../observability/logger.js";
import { CollectorMetrics } from "../observability/metrics.js";
import { renderStatusPage } from "../observability/status-page.js";
import type { Assembly, Watchers } from "./build.js";

/**
 * What the person running sfevents watches it with, on `metrics.listen`: Prometheus metrics at
 * /metrics, /healthz and /readyz for probes, and the status page at / (with /status.json). Loaded
 * only when that key is set, so that other commands never load prom-client.
 */
export interface OperatorEndpoints {
  /** Handed to assemble(): what the engine and the dead-letter file tell. */
  readonly watchers: Watchers;
  /** Listens, reading from the assembled collector; a port that cannot be had is a ConfigError. */
  start(app: Assembly): Promise<OperatorServer>;
  close(): Promise<void>;
}

export function operatorEndpoints(config: Config, listen: ListenAddress, logger: Logger): OperatorEndpoints {
  // The readings follow the collector once it is assembled; the watchers exist before, for the engine.
  let app: Assembly | undefined;
  const readings: StatusReadings = {
    org: new URL(config.salesforce.url).host,
    orgNow: () => app?.client.orgNow() ?? new Date(),
    apiUsage: () => app?.client.apiUsage,
    apiRequests: () => app?.client.apiRequests ?? 0,
    newestPosition: async (source) => app?.state.newestPosition(source),
    outputs: () => app?.outputs ?? [],
  };
  const status = new CollectorStatus(readings);
  const metrics = new CollectorMetrics(readings, status);
  const observer = fanOut(status, metrics);
  let server: OperatorServer | undefined;
  return {
    watchers: {
      observer,
      deadLetterWritten: (letter) => {
        status.deadLetterWritten(letter);
        metrics.deadLetterWritten(letter);
      },
    },
    async start(assembled) {
      app = assembled;
      server = await startOperatorServer(listen, {
        "/metrics": async () => {
          const { contentType, body } = await metrics.text();
          return { status: 200, contentType, body };
        },
        "/healthz": () => ({ status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n" }),
        "/readyz": () => {
          const readiness = status.readiness();
          return {
            status: readiness.ready ? 200 : 503,
            contentType: "application/json",
            body: `${JSON.stringify(readiness)}\n`,
          };
        },
        "/status.json": () => ({
          status: 200,
          contentType: "application/json",
          body: `${JSON.stringify(status.snapshot(), null, 2)}\n`,
        }),
        "/": () => ({
          status: 200,
          contentType: "text/html; charset=utf-8",
          body: renderStatusPage(status.snapshot()),
        }),
      }).catch((err: unknown) => {
        throw new ConfigError(listenProblem(listen, err));
      });
      logger.info(
        { url: server.url },
        `metrics at ${server.url}/metrics, probes at /healthz and /readyz, the status page at ${server.url}/`,
      );
      return server;
    },
    async close() {
      await server?.close();
    },
  };
}

function listenProblem({ host, port }: ListenAddress, err: unknown): string {
  const where = `metrics.listen: cannot listen on ${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch ((err as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return `${where}, another process already uses that port. Choose another port, or stop what listens there.`;
    case "EACCES":
      return `${where}, this user may not use that port (ports below 1024 need privileges). Choose a port above 1024.`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `${where}, ${host} is not an address of this host. Use 127.0.0.1, 0.0.0.0 (every interface) or one of its addresses.`;
    default:
      return `${where} (${err instanceof Error ? err.message : String(err)}).`;
  }
}

/** One observer telling several, each call to each in turn. */
function fanOut(...observers: CycleObserver[]): CycleObserver {
  return {
    cycleStarted: (source) => {
      for (const o of observers) o.cycleStarted?.(source);
    },
    unitDelivered: (source, unit, rows) => {
      for (const o of observers) o.unitDelivered?.(source, unit, rows);
    },
    cycleEnded: (source, seconds, report, error) => {
      for (const o of observers) o.cycleEnded?.(source, seconds, report, error);
    },
    openFailed: (error) => {
      for (const o of observers) o.openFailed?.(error);
    },
    outputFailed: (output, error) => {
      for (const o of observers) o.outputFailed?.(output, error);
    },
  };
}
