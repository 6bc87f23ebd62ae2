import { ConfigError } from "../config/load.js";
import type { ListenAddress } from "../config/listen.js";
import type { Config } from "./config.js";
import type { CycleObserver } from "../core/cycle.js";
import { CollectorStatus, type Readiness, type StatusReadings } from "../observability/collector-status.js";
import { type OperatorServer, startOperatorServer } from "../observability/http-server.js";
import type { Logger } from "../observability/logger.js";
import { CollectorMetrics, type OrgMetrics } from "../observability/metrics.js";
import { renderOrgsStatusPage, renderStatusPage } from "../observability/status-page.js";
import type { Assembly, Watchers } from "./build.js";
import type { OrgWatch } from "./org-supervisor.js";

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
  const readings = readingsOf(new URL(config.salesforce.url).host, () => app);
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
      server = await listenFor(listen, metrics, {
        readiness: () => status.readiness(),
        snapshot: () => status.snapshot(),
        page: () => renderStatusPage(status.snapshot()),
      });
      said(logger, server);
      return server;
    },
    async close() {
      await server?.close();
    },
  };
}

/** What the endpoints show: the status of one org, or of every org of the process. */
interface Shown {
  readiness(): Readiness;
  snapshot(): unknown;
  page(): string;
}

/** Serves the metrics, probes and status page; a port that cannot be had is a ConfigError. */
async function listenFor(
  listen: ListenAddress,
  metrics: CollectorMetrics,
  shown: Shown,
): Promise<OperatorServer> {
  const server = await startOperatorServer(listen, {
    "/metrics": async () => {
      const { contentType, body } = await metrics.text();
      return { status: 200, contentType, body };
    },
    "/healthz": () => ({ status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n" }),
    "/readyz": () => {
      const readiness = shown.readiness();
      return {
        status: readiness.ready ? 200 : 503,
        contentType: "application/json",
        body: `${JSON.stringify(readiness)}\n`,
      };
    },
    "/status.json": () => ({
      status: 200,
      contentType: "application/json",
      body: `${JSON.stringify(shown.snapshot(), null, 2)}\n`,
    }),
    "/": () => ({ status: 200, contentType: "text/html; charset=utf-8", body: shown.page() }),
  }).catch((err: unknown) => {
    throw new ConfigError(listenProblem(listen, err));
  });
  return server;
}

/** The readings of an org's collector, once it is assembled (and again after each restart). */
function readingsOf(org: string, current: () => Assembly | undefined): StatusReadings {
  return {
    org,
    orgNow: () => current()?.client.orgNow() ?? new Date(),
    apiUsage: () => current()?.client.apiUsage,
    apiRequests: () => current()?.client.apiRequests ?? 0,
    newestPosition: async (source) => current()?.state.newestPosition(source),
    outputs: () => current()?.outputs ?? [],
  };
}

/**
 * The endpoints of a process collecting several orgs: one registry whose series carry each org's
 * name, a status per org (`/status.json` lists them; `/readyz` is ready when every org is), told of
 * each org as the supervisor starts, restarts and stops it.
 */
export function orgsOperatorEndpoints(listen: ListenAddress, logger: Logger) {
  const metrics = new CollectorMetrics();
  const orgs = new Map<
    string,
    {
      app?: Assembly;
      failed?: boolean;
      status: CollectorStatus;
      observer: CycleObserver;
      metrics: OrgMetrics;
    }
  >();
  const watched = (org: string) => {
    let entry = orgs.get(org);
    if (entry === undefined) {
      const holder: { app?: Assembly; failed?: boolean } = {};
      const status = new CollectorStatus(readingsOf(org, () => holder.app));
      const orgMetrics = metrics.addOrg(
        readingsOf(org, () => holder.app),
        status,
      );
      entry = Object.assign(holder, { status, metrics: orgMetrics, observer: fanOut(status, orgMetrics) });
      orgs.set(org, entry);
    }
    return entry;
  };
  const snapshots = () => [...orgs.values()].map((entry) => entry.status.snapshot());
  const watch: OrgWatch = {
    watchers: (org) => {
      // An org tried again after a failure starts a fresh status: its failure is not its readiness any more.
      if (orgs.get(org)?.failed) orgs.delete(org);
      const entry = watched(org);
      return {
        observer: entry.observer,
        deadLetterWritten: (letter) => {
          entry.status.deadLetterWritten(letter);
          entry.metrics.deadLetterWritten(letter);
        },
      };
    },
    started: (org, app) => {
      watched(org).app = app;
    },
    failed: (org, error) => {
      const entry = watched(org);
      entry.failed = true;
      entry.status.openFailed(error);
    },
    stopped: (org) => {
      orgs.delete(org);
      metrics.removeOrg(org);
    },
  };
  let server: OperatorServer | undefined;
  return {
    watch,
    async start(): Promise<void> {
      server = await listenFor(listen, metrics, {
        readiness: () => {
          for (const [org, entry] of orgs) {
            const readiness = entry.status.readiness();
            if (!readiness.ready) return { ready: false, reason: `org ${org}: ${readiness.reason}` };
          }
          return { ready: true };
        },
        snapshot: () => ({ generatedAt: new Date().toISOString(), orgs: snapshots() }),
        page: () => renderOrgsStatusPage(snapshots()),
      });
      said(logger, server);
    },
    async close(): Promise<void> {
      await server?.close();
    },
  };
}

function said(logger: Logger, server: OperatorServer): void {
  logger.info(
    { url: server.url },
    `metrics at ${server.url}/metrics, probes at /healthz and /readyz, the status page at ${server.url}/`,
  );
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
