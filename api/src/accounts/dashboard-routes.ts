/** Dashboard sign-in: sign-in links, the /sign-in/{token} page that opens a session, and the sessions. */
import { DashboardSessionList, SignInEmailAccepted, SignInEmailRequest, SignInLink } from '@e2a/sdk/wire';
import { JsonReply, RawBody, type RouteTable } from '../http/route.js';
import { escapeHtml, layout, PAGE_HEADERS } from '../reviews/pages.js';
import type { DashboardSessions } from './dashboard-sessions.js';

/** The answer to POST /v1/sign-in/email, whether or not an account has that email. */
const EMAIL_ACCEPTED = { message: 'if an account has this email, a sign-in link is on its way to it' };

export function dashboardRoutes(routes: RouteTable, sessions: DashboardSessions): void {
  routes.add(
    {
      method: 'post',
      path: '/v1/account/sign-in-links',
      operationId: 'signInLinks.create',
      summary: 'A one-time link that signs a browser in to the dashboard (account keys and sessions only)',
      tag: 'account',
      response: SignInLink,
      status: 201,
    },
    ({ principal }) => sessions.createLink(principal),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/sign-in/email',
      operationId: 'signInLinks.email',
      summary: 'Mail a sign-in link to the account with this email; always 202, whether or not there is one',
      tag: 'account',
      auth: 'none',
      body: SignInEmailRequest,
      response: SignInEmailAccepted,
      status: 202,
      limit: 'sign_in_email',
    },
    async ({ body }) => {
      await sessions.emailLink(body.email);
      return EMAIL_ACCEPTED;
    },
  );
  routes.add(
    {
      method: 'get',
      path: '/sign-in/:token',
      operationId: 'signInLinks.open',
      summary: 'Sign-in link: opens a dashboard session (cookies) and redirects to /; an HTML page if the link does not work',
      tag: 'account',
      auth: 'none',
      produces: 'text/html',
      status: 303,
      limit: 'sign_in_link',
      pages: { 404: 'A page saying the link is not known, and how to get a new one', 410: 'A page saying the link was used or has expired, and how to get a new one' },
    },
    async ({ params, headers }) => {
      const userAgent = headers['user-agent'];
      const result = await sessions.redeem(params.token!, typeof userAgent === 'string' ? userAgent : undefined);
      if (result.ok) {
        return new RawBody(Buffer.from('<!doctype html><title>Signed in</title><a href="/">Continue</a>', 'utf8'), 'text/html; charset=utf-8', { ...PAGE_HEADERS, Location: '/', 'Set-Cookie': sessions.cookiesFor(result) }, 303);
      }
      const page = layout(
        'Sign-in link not valid',
        `<p>${escapeHtml(result.reason)}</p><p>Get a new link: run <code>e2a dashboard</code>, or ask for one by email on the <a href="/">sign-in page</a>.</p>`,
      );
      return new RawBody(Buffer.from(page, 'utf8'), 'text/html; charset=utf-8', { ...PAGE_HEADERS }, result.status);
    },
  );
  routes.add(
    { method: 'get', path: '/v1/account/sessions', operationId: 'sessions.list', summary: "The account's active dashboard sessions (account keys and sessions only)", tag: 'account', response: DashboardSessionList },
    ({ principal }) => sessions.list(principal),
  );
  routes.add(
    { method: 'delete', path: '/v1/account/sessions/:id', operationId: 'sessions.revoke', summary: 'End a dashboard session (its WebSocket listeners close too)', tag: 'account' },
    ({ principal, params }) => sessions.revoke(principal, params.id!),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/account/sessions/sign-out',
      operationId: 'sessions.signOut',
      summary: 'End the dashboard session this request is made with and clear its cookies',
      tag: 'account',
      errors: ['bad_request'],
    },
    async ({ principal }) => {
      await sessions.signOut(principal);
      return new JsonReply(204, undefined, { 'Set-Cookie': sessions.clearedCookies() });
    },
  );
  routes.add(
    { method: 'delete', path: '/v1/account/sessions', operationId: 'sessions.revokeAll', summary: "End every dashboard session of the account (sign out everywhere)", tag: 'account' },
    async ({ principal }) => {
      await sessions.revokeAll(principal);
      return principal.sessionId ? new JsonReply(204, undefined, { 'Set-Cookie': sessions.clearedCookies() }) : undefined;
    },
  );
}
