/**
 * What each HTTP request costs against the shared limiter, and the one place the HTTP edge turns a
 * spent budget into an answer (DESIGN §9): 429 `rate_limited` with Retry-After for rates, 402
 * `quota_exceeded` for daily quotas; both with the RateLimit headers of
 * draft-ietf-httpapi-ratelimit-headers (`RateLimit-Policy: "name";q=…;w=…` and
 * `RateLimit: "name";r=…;t=…`), which every limited answer carries, refused or not.
 *
 * Counted per API key (a dashboard session counts as a key: Principal.keyId is its id), per client network (an IPv4 address or an IPv6 /64, as on the SMTP port),
 * per agent for sends, per account for webhook tests, per address asked for for sign-in mail (as a
 * digest: the limiter's keys never hold an address); failed authentication per client network, far
 * more tightly. A limit of 0 is off.
 */
import { createHash } from 'node:crypto';
import { clientNetwork } from '@e2a/relay';
import { accountEmail } from '../accounts/dashboard-sessions.js';
import type { Principal } from '../accounts/principal.js';
import { AppError } from '../errors.js';
import type { LimitDecision, LimitRule, Limiter, Tightest } from './limiter.js';

export interface ApiRateLimits {
  requestsPerKeyPerMinute: number;
  requestsPerClientPerMinute: number;
  failedAuthPerClientPerHour: number;
  sendsPerAgentPerMinute: number;
  /** A quota: over it the answer is 402. */
  sendsPerAgentPerDay: number;
  webhookTestsPerAccountPerHour: number;
  reviewLinkAttemptsPerClientPerHour: number;
  /** Contact approvals (codes tried) per client network (docs/CONTACTS.md). */
  contactApprovalsPerClientPerHour: number;
  signInLinkAttemptsPerClientPerHour: number;
  signInEmailsPerClientPerHour: number;
  signInEmailsPerAddressPerHour: number;
  websocketConnectsPerKeyPerMinute: number;
  websocketUnauthenticatedPerClientPerMinute: number;
}

/** Costs a route declares beyond the per-key and per-client budgets every request spends. */
export type RouteLimit = 'send' | 'webhook_test' | 'review_link' | 'sign_in_link' | 'sign_in_email' | 'contact_approve';

/** Rules whose refusal is a quota (402), not a rate (429). */
const QUOTAS = new Set(['sends_per_agent_per_day']);

export class HttpLimits {
  constructor(private readonly deps: { limiter: Limiter; limits: ApiRateLimits }) {}

  /**
   * Before a key is checked: a client that already spent its failed-authentication budget is refused
   * from memory, without a statement (another replica counts its own first refusal).
   */
  refusedBeforeAuth(ip: string): AppError | null {
    const decision = this.deps.limiter.refusedFromMemory([this.failedAuthRule(ip)]);
    return decision ? refusal(decision) : null;
  }

  /** After authentication failed: the 429 to answer instead of 401 once the budget is spent. */
  async failedAuth(ip: string): Promise<AppError | null> {
    const decision = await this.deps.limiter.consume([this.failedAuthRule(ip)]);
    return decision.allowed ? null : refusal(decision);
  }

  /**
   * Charges one request; resolves with the RateLimit headers to send, or rejects with the 429/402.
   * `agent`: the address the path names, for per-agent costs; `body`: the parsed JSON body, not yet
   * validated (for the address a sign-in mail is asked for).
   */
  async charge(req: { ip: string; principal: Principal | null; route: RouteLimit | undefined; agent: string | undefined; body?: unknown }): Promise<Record<string, string>> {
    const { limits } = this.deps;
    const client = clientNetwork(req.ip);
    const rules: LimitRule[] = [rule('requests_per_client_per_minute', client, limits.requestsPerClientPerMinute, 60)];
    if (req.principal) rules.push(rule('requests_per_key_per_minute', req.principal.keyId, limits.requestsPerKeyPerMinute, 60));
    if (req.route === 'send' && req.agent) {
      const agent = req.agent.toLowerCase();
      rules.push(rule('sends_per_agent_per_minute', agent, limits.sendsPerAgentPerMinute, 60));
      rules.push(rule('sends_per_agent_per_day', agent, limits.sendsPerAgentPerDay, 86_400));
    }
    if (req.route === 'webhook_test' && req.principal) rules.push(rule('webhook_tests_per_account_per_hour', req.principal.userId, limits.webhookTestsPerAccountPerHour, 3600));
    if (req.route === 'contact_approve') rules.push(rule('contact_approvals_per_client_per_hour', client, limits.contactApprovalsPerClientPerHour, 3600));
    if (req.route === 'review_link') rules.push(rule('review_link_attempts_per_client_per_hour', client, limits.reviewLinkAttemptsPerClientPerHour, 3600));
    if (req.route === 'sign_in_link') rules.push(rule('sign_in_link_attempts_per_client_per_hour', client, limits.signInLinkAttemptsPerClientPerHour, 3600));
    if (req.route === 'sign_in_email') {
      rules.push(rule('sign_in_emails_per_client_per_hour', client, limits.signInEmailsPerClientPerHour, 3600));
      const email = (req.body as { email?: unknown } | undefined)?.email;
      if (typeof email === 'string') {
        const digest = createHash('sha256').update(accountEmail(email)).digest('base64url');
        rules.push(rule('sign_in_emails_per_address_per_hour', digest, limits.signInEmailsPerAddressPerHour, 3600));
      }
    }
    const decision = await this.deps.limiter.consume(rules);
    if (!decision.allowed) throw refusal(decision);
    return decision.tightest ? rateLimitHeaders(decision.tightest) : {};
  }

  /** A WebSocket upgrade: per key once authenticated, per client network while it is not yet. */
  async websocket(req: { ip: string; keyId: string | null }): Promise<AppError | null> {
    const { limits } = this.deps;
    const decision = await this.deps.limiter.consume(
      req.keyId === null
        ? [rule('websocket_unauthenticated_per_client_per_minute', clientNetwork(req.ip), limits.websocketUnauthenticatedPerClientPerMinute, 60)]
        : [rule('websocket_connects_per_key_per_minute', req.keyId, limits.websocketConnectsPerKeyPerMinute, 60)],
    );
    return decision.allowed ? null : refusal(decision);
  }

  private failedAuthRule(ip: string): LimitRule {
    return rule('failed_auth_per_client_per_hour', clientNetwork(ip), this.deps.limits.failedAuthPerClientPerHour, 3600);
  }
}

function rule(name: string, subject: string, limit: number, windowSeconds: number): LimitRule {
  return { name, key: `http:${name}:${subject}`, limit, windowSeconds };
}

function rateLimitHeaders(t: Pick<Tightest, 'rule' | 'limit' | 'windowSeconds' | 'remaining' | 'resetSeconds'>): Record<string, string> {
  return {
    'RateLimit-Policy': `"${t.rule}";q=${t.limit};w=${t.windowSeconds}`,
    RateLimit: `"${t.rule}";r=${Math.max(0, t.remaining)};t=${t.resetSeconds}`,
  };
}

function refusal(decision: LimitDecision & { allowed: false }): AppError {
  const headers = {
    'Retry-After': String(decision.retryAfterSeconds),
    ...rateLimitHeaders({ rule: decision.rule, limit: decision.limit, windowSeconds: decision.windowSeconds, remaining: 0, resetSeconds: decision.retryAfterSeconds }),
  };
  if (QUOTAS.has(decision.rule)) {
    return new AppError('quota_exceeded', `${decision.rule.replaceAll('_', ' ')}: ${decision.limit} used; it renews in ${decision.retryAfterSeconds} s (api_limits.${decision.rule})`, undefined, headers);
  }
  return new AppError('rate_limited', `too many requests (${decision.rule.replaceAll('_', ' ')}: ${decision.limit}); retry after ${decision.retryAfterSeconds} s`, undefined, headers);
}
