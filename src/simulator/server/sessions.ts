import { randomBytes } from "node:crypto";

/** Who the simulated org is, as the token endpoint and userinfo tell it. */
export interface OrgIdentity {
  orgId15: string;
  orgId18: string;
  /** The client-credentials flow's run-as user (and the JWT flow's default subject). */
  runAsUser: { id18: string; username: string; name: string };
  /** The user that writes log files: their CreatedById. */
  systemUserId18: string;
}

export interface Session {
  username: string;
  userId18: string;
  /** Simulated epoch ms. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * Access tokens handed out by the token endpoint. A token lives for a fixed time on the simulated
 * clock (Salesforce's session timeout); after that every call with it answers 401 INVALID_SESSION_ID,
 * and the client is expected to run the grant again (no refresh token is issued by these flows).
 */
export class Sessions {
  private readonly byToken = new Map<string, Session>();

  constructor(
    private readonly orgId15: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Opens a session; tokens look like Salesforce's: the org id, "!", then opaque text. */
  open(user: { id18: string; username: string }): { token: string; session: Session } {
    this.forgetExpired();
    const token = `${this.orgId15}!${randomBytes(72).toString("base64url")}`;
    const issuedAt = this.now();
    const session = {
      username: user.username,
      userId18: user.id18,
      issuedAt,
      expiresAt: issuedAt + this.ttlMs,
    };
    this.byToken.set(token, session);
    return { token, session };
  }

  /** The session behind an Authorization header ("Bearer x" or Salesforce's older "OAuth x"), if live. */
  check(authorization: string | undefined): Session | undefined {
    const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(authorization ?? "");
    return match === null ? undefined : this.live(match[1]);
  }

  /** The session of an access token, if live (the Pub/Sub API's `accesstoken` metadata). */
  live(token: string): Session | undefined {
    const session = this.byToken.get(token);
    if (session === undefined || session.expiresAt <= this.now()) return undefined;
    return session;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [token, session] of this.byToken) if (session.expiresAt <= now) this.byToken.delete(token);
  }
}
