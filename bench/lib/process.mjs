import { spawn } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";

/**
 * Starting a measured process and watching it through /proc, without external tools (/usr/bin/time
 * is not on every machine): peak RSS is the kernel's own high-water mark (VmHWM), so polling cannot
 * miss a short peak, only growth in the last poll interval before exit; CPU time is utime + stime.
 */

/** USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;
const POLL_MS = 20;
/** Enough of a process's output to read its last words, without holding a chatty one's whole log. */
const KEPT_CHARS = 64 * 1024;

/** Peak and current RSS (MiB) and CPU seconds used so far by a live process; undefined once it is gone. */
export function sampleProcess(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    // The command name (field 2) may hold spaces: fields are counted from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 (utime) and 15 (stime)
    return {
      peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0,
      rssMb: rss ? Number(rss[1]) / 1024 : 0,
      cpuSeconds: ticks / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by a daemon and every process it started, such as a PostgreSQL server and
 * its backends: its own time and that of its children it has reaped (cutime, cstime), and the time
 * of its children still running. A daemon is not our child, so launch() cannot watch it.
 */
export function treeCpuSeconds(pid) {
  const times = (stat) => {
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 to 17: utime, stime, cutime, cstime; field 4 is the parent's pid.
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { parent: Number(fields[1]), ticks };
  };
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const own = times(readFileSync(`/proc/${entry}/stat`, "latin1"));
      if (Number(entry) === pid || own.parent === pid) ticks += own.ticks;
    } catch {
      // Gone between the listing and the read: its time is now in its parent's cutime.
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** /dev/null opened for writing: a measured command's output goes there without a pipe to drain. */
export function devNull() {
  return openSync("/dev/null", "w");
}

/**
 * Spawns `command args` and samples it until it exits. `stdout` is "pipe" (kept, for a child that
 * reports a result or prints its URL) or a file descriptor. Returns the child and the promise of its
 * figures: { code, signal, seconds, peakRssMb, cpuSeconds, stdout, stderr }.
 */
export function launch(command, args, { stdout = "pipe", env } = {}) {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ["ignore", stdout, "pipe"], env: { ...process.env, ...env } });
  const figures = { peakRssMb: 0, cpuSeconds: 0 };
  const poll = () => {
    const sample = sampleProcess(child.pid);
    if (sample === undefined) return;
    figures.peakRssMb = Math.max(figures.peakRssMb, sample.peakRssMb);
    figures.cpuSeconds = sample.cpuSeconds;
  };
  const timer = setInterval(poll, POLL_MS);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (text) => {
    out = (out + text).slice(-KEPT_CHARS);
  });
  child.stderr.setEncoding("utf8").on("data", (text) => {
    err = (err + text).slice(-KEPT_CHARS);
  });
  const exited = new Promise((resolve, reject) => {
    let seconds = 0;
    child.once("error", reject);
    child.once("exit", () => {
      clearInterval(timer);
      seconds = (performance.now() - started) / 1000;
    });
    // "close" comes after "exit", once the pipes have given their last words.
    child.once("close", (code, signal) =>
      resolve({ code, signal, seconds, ...figures, stdout: out, stderr: err }),
    );
  });
  const sample = () => {
    poll();
    return { ...figures };
  };
  return { child, exited, sample };
}

/** Waits for an exit with status 0; anything else is an error carrying the end of standard error. */
export async function succeeded(run, what) {
  const result = await run.exited;
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with status ${result.code}`;
    throw new Error(`${what} ${how}:\n${result.stderr.trim()}`);
  }
  return result;
}

/** The first line a service prints on standard output (its URL), or an error if it dies first. */
export function firstLine(run, what) {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end === -1) return;
      run.child.stdout.off("data", onData);
      resolve(text.slice(0, end).trim());
    };
    run.child.stdout.on("data", onData);
    run.exited.then(
      (result) =>
        reject(
          new Error(
            `${what} stopped before printing its URL (status ${result.code}):\n${result.stderr.trim()}`,
          ),
        ),
      reject,
    );
  });
}

/** Stops a service with SIGTERM and returns its figures (CPU time up to the stop, peak RSS). */
export async function stop(run) {
  run.sample();
  run.child.kill("SIGTERM");
  return run.exited;
}
