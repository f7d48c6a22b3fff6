/**
 * Web dashboard sign-in. A sign-in link is a one-time token (`<public_url>/sign-in/<token>`, only
 * its SHA-256 stored) made for an account with its key, or mailed to the account's email; opening it
 * before it expires makes a session. The browser holds the session token in the httpOnly
 * `e2a_session` cookie (only its SHA-256 stored) and the session's CSRF token in `e2a_csrf`; the
 * session acts with account scope. Revoking a session closes the WebSocket listeners it opened, on
 * every replica (events/revocations.ts), as revoking a key does.
 */
import { createHash } from 'node:crypto';
import { stringifySetCookie } from 'cookie';
import type { DashboardSession, DashboardSessionList, SignInLink } from '@e2a/sdk/wire';
import { isoTime, type Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { announceRevocation } from '../events/revocations.js';
import { AppError } from '../errors.js';
import { CSRF_COOKIE, SESSION_COOKIE } from '../http/credentials.js';
import { newId, randomToken, sha256Hex } from '../ids.js';
import { escapeHtml } from '../reviews/pages.js';
import type { Principal } from './principal.js';
import { AccountsRepo, DashboardSessionsRepo } from './repo.js';

export interface DashboardSessionsOptions {
  db: Database;
  box: SecretBox;
  clock: Clock;
  publicUrl: string;
  sessionTtlMs: number;
  linkTtlMs: number;
  /** Sender of sign-in mail (the gateway's notification address). */
  mailFrom: string;
  /** Wakes the system-mail worker after a sign-in mail is queued. */
  wakeMail(): void;
}

/** How long ended sessions are kept before purge() drops them. */
const PURGE_AFTER_MS = 30 * 86_400_000;

/** What opening a sign-in link gave: a session, or why not (404 unknown, 410 used or expired). */
export type Redemption =
  | { ok: true; token: string; csrf: string; expiresAt: Date }
  | { ok: false; status: 404 | 410; reason: string };

/** The session's CSRF token: derived from the session token, so it is bound to that session and needs no storage. */
export function csrfFor(sessionToken: string): string {
  return createHash('sha256').update(`e2a csrf\n${sessionToken}`).digest('base64url');
}

/** Resolves a session cookie to an account-scope principal, or throws unauthorized. */
export async function sessionPrincipal(db: Database, clock: Clock, token: string): Promise<Principal> {
  const now = clock.now();
  const repo = new DashboardSessionsRepo(db);
  const row = await repo.sessionByHash(sha256Hex(token));
  if (!row) throw new AppError('unauthorized', 'unknown dashboard session: sign in again (e2a dashboard, or email yourself a sign-in link)');
  if (row.revoked_at) throw new AppError('unauthorized', 'this dashboard session was signed out: sign in again');
  if (new Date(row.expires_at).getTime() <= now.getTime()) throw new AppError('unauthorized', 'this dashboard session has expired: sign in again');
  if (row.account_erasure_id) throw new AppError('unauthorized', `this account is scheduled for deletion (erasure ${row.account_erasure_id}); cancel it with the cancel token to sign in again`);
  // Record use at most once a minute, as for keys.
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
    await repo.touchSession(row.id, now);
  }
  return { userId: row.user_id, email: row.email, keyId: row.id, sessionId: row.id, scope: 'account', agentId: null, agentAddress: null };
}

export class DashboardSessions {
  constructor(private readonly deps: DashboardSessionsOptions) {}

  /** Whether cookies get the Secure attribute: when the gateway is reached over https. */
  private get secure(): boolean {
    return new URL(this.deps.publicUrl).protocol === 'https:';
  }

  /** A one-time sign-in link for the account (account keys and sessions only). */
  async createLink(principal: Principal): Promise<SignInLink> {
    requireAccount(principal);
    return this.linkFor(this.deps.db, principal.userId);
  }

  /** A sign-in link for an account by id (the first-start banner). */
  linkForUser(userId: string): Promise<SignInLink> {
    return this.linkFor(this.deps.db, userId);
  }

  private async linkFor(db: Database, userId: string): Promise<SignInLink> {
    const token = randomToken(32);
    const now = this.deps.clock.now();
    const expiresAt = new Date(now.getTime() + this.deps.linkTtlMs);
    await new DashboardSessionsRepo(db).insertLink({ id: newId('signInLink'), user_id: userId, token_hash: sha256Hex(token), created_at: now, expires_at: expiresAt });
    return { url: `${this.deps.publicUrl.replace(/\/+$/, '')}/sign-in/${token}`, expires_at: expiresAt.toISOString() };
  }

  /**
   * Mails a sign-in link to the account with this email, if there is one. Says nothing either way
   * (the caller answers 202 regardless), so it cannot be used to find out who has an account.
   */
  async emailLink(email: string): Promise<void> {
    const normalized = accountEmail(email);
    const user = await new AccountsRepo(this.deps.db).findUserByEmail(normalized);
    if (!user) return;
    await this.deps.db.transaction().execute(async (tx) => {
      const link = await this.linkFor(tx, user.id);
      const minutes = Math.round(this.deps.linkTtlMs / 60_000);
      const text = `Open this link to sign in to the e2a dashboard (it works once, for ${minutes} minutes):\n\n${link.url}\n\nIf you did not ask for it, ignore this mail: nobody can sign in without the link.\n`;
      const html = `<p>Open this link to sign in to the e2a dashboard (it works once, for ${minutes} minutes):</p><p><a href="${escapeHtml(link.url)}">Sign in to e2a</a></p><p>If you did not ask for it, ignore this mail: nobody can sign in without the link.</p>`;
      await new DashboardSessionsRepo(tx).queueSignInMail({
        id: newId('systemMail'),
        user_id: user.id,
        from_address: this.deps.mailFrom,
        to: user.email,
        subject: 'Your e2a sign-in link',
        // Sealed: the bodies carry a live sign-in link.
        text_body: this.deps.box.seal(text),
        html_body: this.deps.box.seal(html),
        now: this.deps.clock.now(),
      });
    });
    this.deps.wakeMail();
  }

  /** Uses a sign-in link once: a new session, or why the link does not work. */
  async redeem(token: string, userAgent: string | undefined): Promise<Redemption> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx): Promise<Redemption> => {
      const repo = new DashboardSessionsRepo(tx);
      const used = await repo.useLink(sha256Hex(token), now);
      if (!used) {
        const link = await repo.linkByHash(sha256Hex(token));
        if (!link) return { ok: false, status: 404, reason: 'This sign-in link is not known.' };
        return { ok: false, status: 410, reason: link.used_at ? 'This sign-in link has already been used: each link signs in once.' : 'This sign-in link has expired.' };
      }
      const sessionToken = randomToken(32);
      const expiresAt = new Date(now.getTime() + this.deps.sessionTtlMs);
      await repo.insertSession({
        id: newId('session'),
        user_id: used.user_id,
        token_hash: sha256Hex(sessionToken),
        created_at: now,
        expires_at: expiresAt,
        user_agent: userAgent ? userAgent.slice(0, 300) : null,
      });
      return { ok: true, token: sessionToken, csrf: csrfFor(sessionToken), expiresAt };
    });
  }

  /** Set-Cookie values for a new session. */
  cookiesFor(session: { token: string; csrf: string; expiresAt: Date }): string[] {
    const base = { path: '/', sameSite: 'strict' as const, secure: this.secure, expires: session.expiresAt };
    return [stringifySetCookie(SESSION_COOKIE, session.token, { ...base, httpOnly: true }), stringifySetCookie(CSRF_COOKIE, session.csrf, base)];
  }

  /** Set-Cookie values that remove both cookies. */
  clearedCookies(): string[] {
    const base = { path: '/', sameSite: 'strict' as const, secure: this.secure, expires: new Date(0) };
    return [stringifySetCookie(SESSION_COOKIE, '', { ...base, httpOnly: true }), stringifySetCookie(CSRF_COOKIE, '', base)];
  }

  async list(principal: Principal): Promise<DashboardSessionList> {
    requireAccount(principal);
    const rows = await new DashboardSessionsRepo(this.deps.db).liveSessions(principal.userId, this.deps.clock.now());
    return {
      items: rows.map(
        (r): DashboardSession => ({
          id: r.id,
          created_at: isoTime(r.created_at)!,
          last_used_at: isoTime(r.last_used_at),
          expires_at: isoTime(r.expires_at)!,
          user_agent: r.user_agent,
          current: r.id === principal.sessionId,
        }),
      ),
    };
  }

  /** Ends one of the account's sessions; its WebSocket listeners close on every replica at commit. */
  async revoke(principal: Principal, id: string): Promise<void> {
    requireAccount(principal);
    await this.deps.db.transaction().execute(async (tx) => {
      if (!(await new DashboardSessionsRepo(tx).revokeSession(principal.userId, id, this.deps.clock.now()))) throw new AppError('not_found', `dashboard session ${id} not found (or already ended)`);
      await announceRevocation(tx, { kind: 'key', keyId: id });
    });
  }

  /** Ends the session the request was made with. */
  async signOut(principal: Principal): Promise<void> {
    if (!principal.sessionId) {
      throw new AppError('bad_request', 'sign-out ends the dashboard session the request is made with, and this request used an API key: end sessions with DELETE /v1/account/sessions/{id} or DELETE /v1/account/sessions');
    }
    await this.revoke(principal, principal.sessionId);
  }

  /**
   * Drops links past their expiry and sessions ended or expired more than PURGE_AFTER_MS ago (the
   * list shows only live sessions; the rows are kept a while for whoever reads the database).
   */
  async purge(): Promise<void> {
    const now = this.deps.clock.now();
    const before = new Date(now.getTime() - PURGE_AFTER_MS);
    await new DashboardSessionsRepo(this.deps.db).purge(now, before);
  }

  /** Ends every session of the account (sign out everywhere). */
  async revokeAll(principal: Principal): Promise<void> {
    requireAccount(principal);
    await this.deps.db.transaction().execute(async (tx) => {
      const ended = await new DashboardSessionsRepo(tx).revokeSessions(principal.userId, this.deps.clock.now());
      for (const id of ended) await announceRevocation(tx, { kind: 'key', keyId: id });
    });
  }
}

function requireAccount(principal: Principal): void {
  if (principal.scope !== 'account') throw new AppError('forbidden', 'agent-scoped keys cannot manage dashboard sign-in; use an account key');
}

/** The form an account's email is stored and looked up in; the per-address sign-in mail limit counts it too. */
export function accountEmail(email: string): string {
  return email.trim().toLowerCase();
}
