import { z } from "zod";

interface UrlRules {
  /** Shown in every message about this key: a URL of the right kind. */
  example: string;
  /** What would travel in clear text over http:// (undefined: the URL carries no secret). */
  secrets?: string;
  /** A check of its own on a URL that passed the others, returning the problem or undefined. */
  check?: (url: URL) => string | undefined;
}

/** 127.0.0.0/8, ::1 and localhost: the simulator and local test intakes, reached without TLS. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function problemOf(text: string, rules: UrlRules): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected a URL such as ${rules.example}`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `expected an https:// URL such as ${rules.example}, got a ${url.protocol} URL`;
  }
  if (url.protocol === "http:" && rules.secrets !== undefined && !isLoopback(url.hostname)) {
    return `${text} would send ${rules.secrets} in clear text: use https:// (http:// is accepted only for a loopback address such as 127.0.0.1)`;
  }
  return rules.check?.(url);
}

/** A URL key: refused at load time when it could only fail later, trailing slashes dropped. */
export function urlField(rules: UrlRules, requiredError?: string) {
  return z.string({ required_error: requiredError }).transform((text, ctx) => {
    const problem = problemOf(text, rules);
    if (problem !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      return z.NEVER;
    }
    return text.replace(/\/+$/, "");
  });
}

// Addresses a user copies from the browser that are not the org's API host, and the My Domain host
// each stands for (sandboxes included: acme--dev.sandbox.lightning.force.com keeps its prefix).
const BROWSER_HOSTS: { suffix: string; what: string }[] = [
  { suffix: ".lightning.force.com", what: "the Lightning Experience address" },
  { suffix: ".my.salesforce-setup.com", what: "the Setup address" },
];

/** salesforce.url must be the org's My Domain: the login hosts and browser hosts fail at the token request. */
export function myDomainProblem(url: URL): string | undefined {
  const host = url.hostname;
  if (host === "login.salesforce.com" || host === "test.salesforce.com") {
    return `${host} is Salesforce's shared login host, not the org's: use the org's My Domain URL, shown in Setup > My Domain (such as https://acme.my.salesforce.com). ${host} belongs in salesforce.jwt.audience.`;
  }
  for (const { suffix, what } of BROWSER_HOSTS) {
    if (host.endsWith(suffix)) {
      const myDomain = `https://${host.slice(0, -suffix.length)}.my.salesforce.com`;
      return `${url.origin} is ${what}, not the org's API host: use its My Domain URL ${myDomain}`;
    }
  }
  return undefined;
}
