import { generateKeyPairSync, verify } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SalesforceAuthError, SalesforceClient } from "../../../src/salesforce/index.js";
import { defaultAudience } from "../../../src/salesforce/auth/jwt.js";
import { capturedLogger } from "../../support/logger.js";
import { FAKE_SECRET, FAST_RETRY, FakeOrg, json } from "../../support/org.js";

const TOKEN_PATH = "/services/oauth2/token";

let org: FakeOrg;
let log: ReturnType<typeof capturedLogger>;
const clients: SalesforceClient[] = [];

function clientWith(credentials: Partial<ConstructorParameters<typeof SalesforceClient>[0]["credentials"]>) {
  const client = new SalesforceClient({
    credentials: { url: org.url, clientId: "3MVG9-consumer-key", ...credentials },
    logger: log.logger,
    retry: FAST_RETRY,
  });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  org = await FakeOrg.start();
  log = capturedLogger();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await org.close();
});

describe("client-credentials grant", () => {
  it("posts the consumer key and secret as a form and reads the session", async () => {
    const session = await clientWith({ clientSecret: FAKE_SECRET }).authenticate();
    const sent = org.seen("POST", TOKEN_PATH)[0];
    expect(sent.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(sent.body))).toEqual({
      grant_type: "client_credentials",
      client_id: "3MVG9-consumer-key",
      client_secret: FAKE_SECRET,
    });
    expect(session).toEqual({
      grant: "client_credentials",
      instanceUrl: org.url,
      identityUrl: "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SwiUAAS",
      orgId: "00Dxx0000001gPLEAY",
      userId: "005xx000001SwiUAAS",
      scope: "api",
      issuedAt: new Date(1700000000000),
    });
    expect(JSON.stringify(session)).not.toContain("token-number");
  });

  it("retries the token endpoint on a 503 but not on a refusal", async () => {
    let calls = 0;
    org.on("POST", TOKEN_PATH, (_req, res) => {
      if (++calls === 1)
        json(res, 503, [{ errorCode: "SERVER_UNAVAILABLE", message: "down for maintenance" }]);
      else json(res, 400, { error: "invalid_client", error_description: "invalid client credentials" });
    });
    await expect(clientWith({ clientSecret: FAKE_SECRET }).authenticate()).rejects.toBeInstanceOf(
      SalesforceAuthError,
    );
    expect(calls).toBe(2);
  });

  it("explains a non-OAuth answer from the token endpoint", async () => {
    org.on("POST", TOKEN_PATH, (_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<html>Not here</html>");
    });
    const error = (await clientWith({ clientSecret: FAKE_SECRET })
      .authenticate()
      .catch((e) => e)) as SalesforceAuthError;
    expect(error.error).toBe("unexpected_response");
    expect(error.advice).toContain("My Domain URL");
  });

  // Each refusal Salesforce documents, and the words the admin needs to see in the advice.
  const refusals: [string, string, string][] = [
    ["invalid_grant", "request not supported on this domain", "https://yourdomain.my.salesforce.com"],
    ["invalid_grant", "no client credentials user enabled", "Run As user"],
    ["invalid_client_id", "client identifier invalid", "up to 10 minutes"],
    ["invalid_client", "invalid client credentials", "consumer secret"],
    ["unsupported_grant_type", "grant type not supported", "Enable the Client Credentials Flow"],
    ["invalid_grant", "authentication failure", "IP relaxation"],
    ["inactive_user", "user is inactive", "deactivated"],
    ["some_new_error", "something Salesforce added later", "OAuth settings"],
  ];
  for (const [error, description, advice] of refusals) {
    it(`turns ${error} / "${description}" into advice, once, without the secret`, async () => {
      org.on("POST", TOKEN_PATH, (_req, res) => json(res, 400, { error, error_description: description }));
      const client = clientWith({ clientSecret: FAKE_SECRET });
      const thrown = (await client.authenticate().catch((e) => e)) as SalesforceAuthError;
      expect(thrown).toBeInstanceOf(SalesforceAuthError);
      expect([thrown.error, thrown.description]).toEqual([error, description]);
      expect(thrown.advice).toContain(advice);
      expect(thrown.message).toContain(advice);
      expect(thrown.message).not.toContain(FAKE_SECRET);
      expect(org.seen("POST", TOKEN_PATH)).toHaveLength(1);
    });
  }

  it("fails a query with the auth error instead of looping", async () => {
    org.on("POST", TOKEN_PATH, (_req, res) =>
      json(res, 400, { error: "invalid_grant", error_description: "no client credentials user enabled" }),
    );
    const client = clientWith({ clientSecret: FAKE_SECRET });
    const pages = client.query("SELECT Id FROM EventLogFile");
    await expect(pages.next()).rejects.toBeInstanceOf(SalesforceAuthError);
    expect(org.seen("POST", TOKEN_PATH)).toHaveLength(1);
    expect(log.text()).not.toContain(FAKE_SECRET);
  });
});

describe("JWT bearer grant", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;

  function assertionOf(body: string) {
    const assertion = new URLSearchParams(body).get("assertion") ?? "";
    const [header, payload, signature] = assertion.split(".");
    return {
      grantType: new URLSearchParams(body).get("grant_type"),
      header: JSON.parse(Buffer.from(header, "base64url").toString()),
      claims: JSON.parse(Buffer.from(payload, "base64url").toString()),
      valid: verify(
        "RSA-SHA256",
        Buffer.from(`${header}.${payload}`),
        publicKey,
        Buffer.from(signature, "base64url"),
      ),
    };
  }

  it("posts an RS256 assertion signed with the private key", async () => {
    const before = Math.floor(Date.now() / 1000);
    const session = await clientWith({
      jwt: { username: "collector@acme.com", privateKey: pem },
    }).authenticate();
    expect(session.grant).toBe("jwt_bearer");
    const sent = assertionOf(org.seen("POST", TOKEN_PATH)[0].body);
    expect(sent.grantType).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(sent.header).toEqual({ alg: "RS256" });
    expect(sent.valid).toBe(true);
    expect(sent.claims).toMatchObject({
      iss: "3MVG9-consumer-key",
      sub: "collector@acme.com",
      aud: "https://login.salesforce.com",
    });
    expect(sent.claims.exp - before).toBeGreaterThanOrEqual(180);
    expect(sent.claims.exp - before).toBeLessThanOrEqual(181);
  });

  it("uses the configured audience", async () => {
    await clientWith({
      jwt: { username: "collector@acme.com", privateKey: pem, audience: "https://test.salesforce.com" },
    }).authenticate();
    expect(assertionOf(org.seen("POST", TOKEN_PATH)[0].body).claims.aud).toBe("https://test.salesforce.com");
  });

  const refusals: [string, string, string][] = [
    ["invalid_grant", "user hasn't approved this consumer", "pre-authorized"],
    ["invalid_grant", "audience is invalid", "https://test.salesforce.com for sandboxes"],
    ["invalid_grant", "expired authorization code", "clock"],
    ["invalid_grant", "invalid assertion", "certificate uploaded"],
    ["unsupported_grant_type", "grant type not supported", "JWT Bearer Flow"],
  ];
  for (const [error, description, advice] of refusals) {
    it(`turns ${error} / "${description}" into advice`, async () => {
      org.on("POST", TOKEN_PATH, (_req, res) => json(res, 400, { error, error_description: description }));
      const client = clientWith({ jwt: { username: "collector@acme.com", privateKey: pem } });
      const thrown = (await client.authenticate().catch((e) => e)) as SalesforceAuthError;
      expect(thrown.advice).toContain(advice);
      expect(thrown.message).not.toContain(pem.split("\n")[1]);
    });
  }

  it("says which setting holds an unusable key, without quoting it", () => {
    const broken = pem.replace(/[A-Za-z]{8}/, "AAAAAAAA");
    const error = (() => {
      try {
        clientWith({ jwt: { username: "collector@acme.com", privateKey: broken } });
      } catch (e) {
        return e;
      }
    })() as SalesforceAuthError;
    expect(error).toBeInstanceOf(SalesforceAuthError);
    expect(error.advice).toContain("private_key_file");
    expect(error.message).not.toContain(broken.split("\n")[1]);
  });

  it("redacts the private key from log lines", () => {
    clientWith({ jwt: { username: "collector@acme.com", privateKey: pem } });
    log.logger.info({ config: { private: pem } }, "config loaded");
    expect(log.text()).toContain("config loaded");
    expect(log.text()).not.toContain(pem.split("\n")[1]);
  });
});

it("refuses credentials with neither or both of a secret and a key", () => {
  expect(() => clientWith({})).toThrow(/exactly one/);
});

describe("defaultAudience", () => {
  it("picks the sandbox login host for sandbox My Domains", () => {
    expect(defaultAudience("https://acme--dev.sandbox.my.salesforce.com")).toBe(
      "https://test.salesforce.com",
    );
    expect(defaultAudience("https://acme.my.salesforce.com")).toBe("https://login.salesforce.com");
  });
});
