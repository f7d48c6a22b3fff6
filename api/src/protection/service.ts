/**
 * Reading and replacing an agent's protection settings (agents.protection, jsonb). Stored values are
 * re-parsed on read so settings written before a new field existed get that field's default.
 * Only account keys may change protection: an agent that could loosen its own gates would make the
 * gates pointless against a prompt-injected agent.
 */
import { Protection } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import type { AgentsService } from '../agents/service.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import type { SystemMailRecipients } from '../system/system-mail-recipients.js';
import { ProtectionRepo } from './repo.js';

const ADDRESS = /^[^@\s<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const DOMAIN = /^@?[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** The stored jsonb as a complete Protection; a corrupt value falls back to the defaults. */
export function parseStoredProtection(stored: unknown): Protection {
  const parsed = Protection.safeParse(stored ?? {});
  return parsed.success ? parsed.data : Protection.parse({});
}

function normaliseList(list: string[], field: string, allowDomains: boolean): string[] {
  const out: string[] = [];
  list.forEach((raw, i) => {
    const entry = raw.trim().toLowerCase();
    if (!(ADDRESS.test(entry) || (allowDomains && DOMAIN.test(entry)))) {
      const want = allowDomains ? 'an address (a@example.com) or a domain (@example.com)' : 'an email address';
      throw new AppError('validation_error', `${field}[${i}]: "${raw}" is not ${want}`, [{ path: `body.${field}.${i}`, message: `expected ${want}` }]);
    }
    if (!out.includes(entry)) out.push(entry);
  });
  return out;
}

export class ProtectionService {
  private readonly repo: ProtectionRepo;

  constructor(private readonly deps: { db: Database; agents: AgentsService; systemMail: SystemMailRecipients }) {
    this.repo = new ProtectionRepo(deps.db);
  }

  async get(principal: Principal, address: string): Promise<Protection> {
    const agent = await this.deps.agents.resolve(principal, address);
    return parseStoredProtection(agent.protection);
  }

  async put(principal: Principal, address: string, body: Protection): Promise<Protection> {
    const agent = await this.deps.agents.resolve(principal, address);
    if (principal.scope !== 'account') {
      throw new AppError('forbidden', 'agent-scoped keys cannot change protection settings; use an account key');
    }
    if (body.outbound.policy === 'contacts') {
      const message = 'the contacts policy is for the inbound gate only (docs/CONTACTS.md); outbound, use allowlist or domain';
      throw new AppError('validation_error', `outbound.policy: ${message}`, [{ path: 'body.outbound.policy', message }]);
    }
    const value: Protection = {
      ...body,
      inbound: { ...body.inbound, allowlist: normaliseList(body.inbound.allowlist, 'inbound.allowlist', true) },
      outbound: { ...body.outbound, allowlist: normaliseList(body.outbound.allowlist, 'outbound.allowlist', true) },
      review_notify: normaliseList(body.review_notify, 'review_notify', false),
    };
    // Review mail goes to a human outside this gateway, never into an agent's mailbox.
    for (const [i, reviewer] of value.review_notify.entries()) {
      const refusal = await this.deps.systemMail.reviewerRefusal(principal.userId, reviewer);
      if (refusal) throw new AppError('validation_error', `review_notify[${i}]: ${refusal}`, [{ path: `body.review_notify.${i}`, message: refusal }]);
    }
    await this.repo.replace(agent.id, value);
    return value;
  }
}
