import { createHmac, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../../src/simulator/server/index.js";
import { get, START, startOrg, tokenFor, V } from "./helpers.js";

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

function postToken(sim: Simulator, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${sim.url}/services/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
}

async function expectOAuthError(res: Response, error: string, description: string) {
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ error, error_description: description });
}

function assertion(claims: Record<string, unknown>, key: KeyObject, alg = "RS256"): string {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const signed = `${encode({ alg })}.${encode(claims)}`;
  return `${signed}.${sign("RSA-SHA256", Buffer.from(signed), key).toString("base64url")}`;
}

describe("POST /services/oauth2/token", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("grants a token for the client-credentials flow with form parameters", async () => {
    sim = await startOrg();
    const res = await postToken(sim, {
      grant_type: "client_credentials",
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    const orgId15 = sim.org.profile.orgId15;
    expect(body.access_token.startsWith(`${orgId15}!`)).toBe(true);
    expect(body.instance_url).toBe(sim.url);
    expect(body.token_type).toBe("Bearer");
    expect(body.scope).toBe("api");
    expect(body.issued_at).toBe(String(Date.parse(START)));
    expect(body.id).toMatch(
      new RegExp(`^https://login\\.salesforce\\.com/id/${orgId15}[A-Z0-5]{3}/005\\w{15}$`),
    );
    const expected = createHmac("sha256", sim.clientSecret)
      .update(body.id + body.issued_at)
      .digest("base64");
    expect(body.signature).toBe(expected);
    expect(body).not.toHaveProperty("refresh_token");
  });

  it("takes the client credentials from HTTP Basic too", async () => {
    sim = await startOrg();
    const basic = Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString("base64");
    const res = await postToken(
      sim,
      { grant_type: "client_credentials" },
      { authorization: `Basic ${basic}` },
    );
    expect(res.status).toBe(200);
  });

  it("answers each client-credentials mistake with Salesforce's error", async () => {
    sim = await startOrg();
    const ok = { grant_type: "client_credentials", client_id: sim.clientId, client_secret: sim.clientSecret };
    await expectOAuthError(
      await postToken(sim, { ...ok, client_id: "3MVG9unknown" }),
      "invalid_client_id",
      "client identifier invalid",
    );
    await expectOAuthError(
      await postToken(sim, { ...ok, client_secret: "wrong" }),
      "invalid_client",
      "invalid client credentials",
    );
    await expectOAuthError(
      await postToken(sim, { ...ok, grant_type: "password" }),
      "unsupported_grant_type",
      "grant type not supported",
    );
    await expectOAuthError(
      await postToken(sim, { client_id: sim.clientId }),
      "unsupported_grant_type",
      "grant type not supported",
    );
  });

  it("refuses the grant when the app has no run-as user", async () => {
    sim = await startOrg({ oauth: { client_credentials_user: false } });
    const res = await postToken(sim, {
      grant_type: "client_credentials",
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
    });
    await expectOAuthError(res, "invalid_grant", "no client credentials user enabled");
  });

  it("refuses client credentials on a generic login host", async () => {
    sim = await startOrg({ oauth: { login_host: true } });
    const res = await postToken(sim, {
      grant_type: "client_credentials",
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
    });
    await expectOAuthError(res, "invalid_grant", "request not supported on this domain");
  });

  describe("JWT bearer", () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;

    async function jwtOrg(): Promise<Simulator> {
      return startOrg({
        oauth: { login_host: true, username: "collector@acme.example", jwt: { public_key: pem } },
      });
    }
    const claims = (s: Simulator) => ({
      iss: s.clientId,
      sub: "collector@acme.example",
      aud: "https://login.salesforce.com",
      exp: inFiveMinutes(),
    });

    it("grants a token for a well-signed assertion, even on a login host", async () => {
      sim = await jwtOrg();
      const res = await postToken(sim, {
        grant_type: JWT_BEARER,
        assertion: assertion(claims(sim), privateKey),
      });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      expect((await get(sim, `${V}/limits`, access_token)).status).toBe(200);
    });

    it("accepts the simulator's own URL as audience", async () => {
      sim = await jwtOrg();
      const res = await postToken(sim, {
        grant_type: JWT_BEARER,
        assertion: assertion({ ...claims(sim), aud: sim.url }, privateKey),
      });
      expect(res.status).toBe(200);
    });

    it("answers each assertion mistake with Salesforce's error", async () => {
      sim = await jwtOrg();
      const c = claims(sim);
      const post = (a: string) => postToken(sim, { grant_type: JWT_BEARER, assertion: a });
      await expectOAuthError(
        await post(assertion(c, other.privateKey)),
        "invalid_grant",
        "invalid assertion",
      );
      await expectOAuthError(await post("not.a.jwt"), "invalid_grant", "invalid assertion");
      await expectOAuthError(
        await post(assertion(c, privateKey, "HS256")),
        "invalid_grant",
        "invalid assertion",
      );
      await expectOAuthError(
        await post(assertion({ ...c, iss: "3MVG9other" }, privateKey)),
        "invalid_client_id",
        "client identifier invalid",
      );
      await expectOAuthError(
        await post(assertion({ ...c, aud: "https://example.com" }, privateKey)),
        "invalid_grant",
        "audience is invalid",
      );
      await expectOAuthError(
        await post(assertion({ ...c, exp: Math.floor(Date.now() / 1000) - 60 }, privateKey)),
        "invalid_grant",
        "expired authorization code",
      );
      await expectOAuthError(
        await post(assertion({ ...c, sub: "someone@else.example" }, privateKey)),
        "invalid_grant",
        "user hasn't approved this consumer",
      );
    });

    it("refuses every assertion when the app has no certificate", async () => {
      sim = await startOrg();
      const res = await postToken(sim, {
        grant_type: JWT_BEARER,
        assertion: assertion(claims(sim), privateKey),
      });
      await expectOAuthError(res, "invalid_grant", "invalid assertion");
    });
  });
});

describe("sessions", () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  it("expire after the token TTL on the simulated clock", async () => {
    sim = await startOrg({ oauth: { token_ttl: "30m" } });
    const token = await tokenFor(sim);
    expect((await get(sim, `${V}/limits`, token)).status).toBe(200);
    sim.clock.advance("29m");
    expect((await get(sim, `${V}/limits`, token)).status).toBe(200);
    sim.clock.advance("1m");
    const res = await get(sim, `${V}/limits`, token);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
    // A new grant gives a working token again.
    expect((await get(sim, `${V}/limits`, await tokenFor(sim))).status).toBe(200);
  });

  it("answer 401 without a token or with an unknown one", async () => {
    sim = await startOrg();
    for (const token of [undefined, "00Dxx!unknown"]) {
      const res = await get(sim, `${V}/limits`, token);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual([
        { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
      ]);
    }
  });

  it("serve userinfo for a live token only", async () => {
    sim = await startOrg();
    const token = await tokenFor(sim);
    const res = await get(sim, "/services/oauth2/userinfo", token);
    expect(res.status).toBe(200);
    const info = (await res.json()) as Record<string, string>;
    expect(info.preferred_username).toBe(sim.username);
    expect(info.organization_id.slice(0, 15)).toBe(sim.org.profile.orgId15);
    expect((await get(sim, "/services/oauth2/userinfo", "bad")).status).toBe(403);
  });
});
