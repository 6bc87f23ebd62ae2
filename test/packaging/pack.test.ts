import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;

/** The files `npm pack` puts in the tarball (scripts skipped: the build is not what is checked). */
function packed(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

/** The relative links of a Markdown file, resolved from the package root, anchors dropped. */
function relativeLinks(file: string): string[] {
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
  const text = readFileSync(`${root}${file}`, "utf8");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1].split("#")[0])
    .filter((target) => target.length > 0 && !/^[a-z]+:/.test(target))
    .map((target) => new URL(target, `file:///${dir}`).pathname.slice(1));
}

describe("npm pack", () => {
  const files = packed();

  it("carries the license and every file the README and the docs link to", () => {
    expect(files).toContain("LICENSE");
    const docs = files.filter((f) => f.startsWith("docs/") && f.endsWith(".md"));
    expect(docs.length).toBeGreaterThan(0);
    const missing = ["README.md", ...docs].flatMap((f) => relativeLinks(f).filter((l) => !files.includes(l)));
    expect(missing).toEqual([]);
  });

  it("carries the systemd unit, and no tests or sources", () => {
    expect(files).toContain("packaging/sfevents.service");
    expect(files.filter((f) => f.startsWith("test/") || f.startsWith("src/"))).toEqual([]);
  });
});
