import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../observability/logger.js";

export interface ApiUsage {
  used: number;
  max: number;
}

export interface LimitInfo {
  /** The org's daily API requests (`api-usage=N/M`). */
  api?: ApiUsage;
  /** The connected app's own allowance, when the admin set one (`per-app-api-usage=N/M(appName=…)`). */
  perApp?: ApiUsage & { app?: string };
}

const API_USAGE = /(?:^|[;,\s])api-usage=(\d+)\/(\d+)/i;
const PER_APP_USAGE = /per-app-api-usage=(\d+)\/(\d+)(?:\s*\(\s*appName=([^)]*)\))?/i;

/**
 * Parses `Sforce-Limit-Info`, e.g. `api-usage=25/5000; per-app-api-usage=17/250(appName=x)`.
 * Tolerant: either part may be missing, spacing and case vary; what cannot be read is left out.
 */
export function parseLimitInfo(value: string | undefined): LimitInfo {
  const info: LimitInfo = {};
  if (!value) return info;
  const api = API_USAGE.exec(value);
  if (api && Number(api[2]) > 0) info.api = { used: Number(api[1]), max: Number(api[2]) };
  const perApp = PER_APP_USAGE.exec(value);
  if (perApp && Number(perApp[2]) > 0) {
    info.perApp = { used: Number(perApp[1]), max: Number(perApp[2]) };
    if (perApp[3]) info.perApp.app = perApp[3].trim();
  }
  return info;
}

export interface ApiUsageGovernorOptions {
  /** Share of the allowance (0–1) past which calls are spaced out. Default 0.8. */
  slowDownAt?: number;
  /** The pause before each call when the allowance is fully used. Default 10 s. */
  maxDelayMs?: number;
  logger: Logger;
}

/**
 * Watches API usage on every response and spaces calls out once usage passes a share of the
 * allowance, so a collector catching up on a backlog leaves calls for the org's other integrations.
 *
 * The rule: below `slowDownAt` no pause; above it, the pause before each call grows linearly from
 * 0 to `maxDelayMs` as usage goes from `slowDownAt` to 100% (of whichever of the org's and the
 * app's allowance is the more used). Past 100% Salesforce answers REQUEST_LIMIT_EXCEEDED and the
 * retry schedule takes over.
 */
export class ApiUsageGovernor {
  private latest: LimitInfo = {};
  private slowing = false;
  private readonly slowDownAt: number;
  private readonly maxDelayMs: number;
  private readonly logger: Logger;

  constructor(options: ApiUsageGovernorOptions) {
    this.slowDownAt = options.slowDownAt ?? 0.8;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.logger = options.logger;
    if (!(this.slowDownAt > 0 && this.slowDownAt <= 1)) {
      throw new Error(
        `The API usage slow-down threshold must be a share between 0 and 1, got ${this.slowDownAt}.`,
      );
    }
  }

  /** The org's latest API usage, once any response has carried it. */
  get usage(): ApiUsage | undefined {
    return this.latest.api;
  }

  get limitInfo(): LimitInfo {
    return this.latest;
  }

  /** Records the `Sforce-Limit-Info` header of a response. */
  observe(headerValue: string | undefined): void {
    const info = parseLimitInfo(headerValue);
    if (info.api === undefined && info.perApp === undefined) return;
    this.latest = { ...this.latest, ...info };
    const share = this.share();
    if (share >= this.slowDownAt && !this.slowing) {
      this.slowing = true;
      this.logger.warn(
        { api: this.latest.api, perApp: this.latest.perApp, slowDownAt: this.slowDownAt },
        `Salesforce API usage passed ${Math.round(this.slowDownAt * 100)}% of the allowance; spacing calls out`,
      );
    } else if (share < this.slowDownAt && this.slowing) {
      this.slowing = false;
      this.logger.info({ api: this.latest.api }, "Salesforce API usage back under the slow-down threshold");
    }
  }

  /** The pause owed before the next call, per the rule above. */
  delayMs(): number {
    const share = this.share();
    if (share < this.slowDownAt) return 0;
    if (this.slowDownAt >= 1) return this.maxDelayMs;
    return this.maxDelayMs * Math.min(1, (share - this.slowDownAt) / (1 - this.slowDownAt));
  }

  async pace(): Promise<void> {
    const delay = this.delayMs();
    if (delay > 0) await sleep(delay);
  }

  private share(): number {
    const { api, perApp } = this.latest;
    return Math.max(api ? api.used / api.max : 0, perApp ? perApp.used / perApp.max : 0);
  }
}
