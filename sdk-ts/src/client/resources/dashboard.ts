import type { DashboardSessionList, SignInEmailAccepted, SignInLink } from '../../wire/index.js';
import type { HttpClient } from '../http.js';

/** One-time links that sign a browser in to the dashboard. */
export class SignInLinksResource {
  constructor(private readonly http: HttpClient) {}

  /** A link for this account (account key or session), valid once for dashboard.sign_in_link_ttl_minutes. */
  create(): Promise<SignInLink> {
    return this.http.request('POST', '/v1/account/sign-in-links');
  }

  /** Mails a link to the account with this email, if any (no credential needed; always accepted). */
  email(email: string): Promise<SignInEmailAccepted> {
    return this.http.request('POST', '/v1/sign-in/email', { body: { email } });
  }
}

/** The account's dashboard sessions (signed-in browsers). */
export class SessionsResource {
  constructor(private readonly http: HttpClient) {}

  list(): Promise<DashboardSessionList> {
    return this.http.request('GET', '/v1/account/sessions');
  }

  /** Ends one session; its WebSocket listeners close too. */
  revoke(id: string): Promise<void> {
    return this.http.request('DELETE', `/v1/account/sessions/${encodeURIComponent(id)}`);
  }

  /** Ends the session this client is signed in with and clears its cookies. */
  signOut(): Promise<void> {
    return this.http.request('POST', '/v1/account/sessions/sign-out');
  }

  /** Ends every session of the account (sign out everywhere). */
  revokeAll(): Promise<void> {
    return this.http.request('DELETE', '/v1/account/sessions');
  }
}
