import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalIntake, startLocalIntake } from "../../src/simulator/sekoia-intake.js";
import { startSimulator } from "../../src/simulator/server/index.js";
import { tempDir } from "./harness.js";
import { startWatchedCollector, WATCHED_INTAKE_KEY, type WatchedCollector } from "./watched-collector.js";

/** Debian's chromium; .ci/run installs it when missing. */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;
const SCREENSHOT = join(ARTIFACTS, "status-page.png");
const SOURCE = "event_log_files:hourly";

if (!existsSync(CHROMIUM)) {
  console.log(
    `status page browser test skipped: ${CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)`,
  );
}

/** The status page of a real collector, as a SOC lead's browser shows it, offline. */
describe.skipIf(!existsSync(CHROMIUM))("the status page in Chromium", () => {
  let org: Awaited<ReturnType<typeof startSimulator>>;
  let intake: LocalIntake;
  let dir: ReturnType<typeof tempDir>;
  let profile: ReturnType<typeof tempDir>;
  let collector: WatchedCollector;
  let browser: BrowserContext;

  beforeAll(async () => {
    dir = tempDir("status-page");
    profile = tempDir("chromium-profile");
    org = await startSimulator({ seed: 11, days: 1, clock: { running: false } });
    intake = await startLocalIntake({ intakeKey: WATCHED_INTAKE_KEY });
    collector = await startWatchedCollector({ dir: dir.path, org, intake });
    await collector.cycles(1);
    // A fresh profile each run: nothing cached or remembered from another.
    browser = await chromium.launchPersistentContext(profile.path, {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1200, height: 700 },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
    await intake?.close();
    await org?.close();
    dir?.remove();
    profile?.remove();
  });

  it("shows each source's lag, chart and last cycle, each output, loads nothing from elsewhere, and reloads itself", async () => {
    const requested: string[] = [];
    browser.on("request", (request) => requested.push(request.url()));
    const page = await browser.newPage();
    const response = await page.goto(`${collector.url}/`);
    expect(response?.status()).toBe(200);

    expect(await page.title()).toBe(`sfevents: ${collector.org}`);
    const row = page.getByTestId("source");
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator("strong").textContent()).toBe(SOURCE);
    expect(await page.getByTestId("lag").textContent()).toMatch(/^\d+(d|h|m|s)[\dhms]* \(newest file \d{4}-/);
    const chart = page.getByTestId("chart");
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.locator("rect").count()).toBeGreaterThan(0);
    expect(await row.textContent()).toContain("succeeded");
    expect(await page.getByTestId("readiness").textContent()).toContain("Ready");
    expect(await page.getByTestId("api-usage").textContent()).toMatch(
      /API usage: \d+ of 15,000 daily requests/,
    );
    const outputs = await page.getByTestId("outputs").textContent();
    expect(outputs).toContain("sekoia");
    expect(outputs).toContain("file");
    const body = (await page.content()) ?? "";
    expect(body).not.toContain(WATCHED_INTAKE_KEY);
    expect(body).not.toContain(org.clientSecret);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`status page screenshot: ${SCREENSHOT}`);

    // It reloads itself (a meta refresh: no script), and stays on the collector.
    await page.waitForEvent("load", { timeout: 30_000 });
    expect(requested.length).toBeGreaterThanOrEqual(2);
    const elsewhere = requested.filter((url) => new URL(url).hostname !== "127.0.0.1");
    expect(elsewhere).toEqual([]);
  });
});
