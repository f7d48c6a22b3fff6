/**
 * Custom sending and receiving domains. Ownership is proven by a TXT record at `_e2a.<domain>`
 * holding the token we issue; the check goes through the injected Resolver (DNS is the outside
 * world). Every verified domain, the shared one included, gets a DKIM key whose record is listed here.
 *
 * Claims (migrations/0006): a claim proves nothing, so it blocks nobody. Any number of accounts may
 * hold a pending claim on a name, each with its own token; the first to verify owns it, and only
 * verified domains receive mail or host agents (inbound/directory.ts, agents/service.ts). The other
 * pending claims stay pending and inert: dropping them would tell an account that merely typed a
 * name that someone else proved it. A later verify by one of them answers 409 only once its own
 * token is in DNS, that is, only to someone who controls the domain. An account's repeated claim
 * returns the claim it has (200).
 *
 * What an answer tells: creating a claim answers the same (201, a new token) whether the name is
 * free, claimed elsewhere or verified elsewhere; nothing about another account's claim is read on
 * that path. The DKIM key is made when a domain is verified, not when it is claimed: a claim costs
 * no RSA key generation (nobody can make the gateway spend CPU on names they do not hold), and the
 * time of a create answer does not depend on whether the domain already has a key.
 */
import type { Domain, DomainList } from '@e2a/sdk/wire';
import type { Resolver } from '@e2a/relay';
import type { Principal } from '../accounts/principal.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError, notFound } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import type { DkimKeys } from './dkim-keys.js';
import { DomainsRepo } from './repo.js';

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

export const verificationRecordName = (domain: string) => `_e2a.${domain}`;

export interface DomainsDeps {
  db: Database;
  clock: Clock;
  resolver: Resolver;
  dkim: DkimKeys;
  sharedDomain: string;
  /** Our SMTP host name: what the MX record should point at. */
  mxHost: string;
}

type DomainRow = Awaited<ReturnType<DomainsRepo['list']>>[number];

function requireAccount(principal: Principal): void {
  if (principal.scope !== 'account') throw new AppError('forbidden', 'domains are managed with an account key, not an agent key');
}

export class DomainsService {
  private readonly repo: DomainsRepo;

  constructor(private readonly deps: DomainsDeps) {
    this.repo = new DomainsRepo(deps.db);
  }

  /** A claim on `name` for this account; `created` is false when it already held one. */
  async create(principal: Principal, name: string): Promise<{ domain: Domain; created: boolean }> {
    requireAccount(principal);
    const domain = name.trim().toLowerCase().replace(/\.$/, '');
    if (!DOMAIN_NAME.test(domain)) throw new AppError('validation_error', `body.name: "${name}" is not a domain name (letters, digits, hyphens; at least two labels)`);
    if (domain === this.deps.sharedDomain) throw new AppError('conflict', `${domain} is the gateway's shared domain; agents can use it without adding it`);
    const row = await this.repo.insert({ id: newId('domain'), user_id: principal.userId, name: domain, verification_token: `e2a-verify=${randomToken(18)}`, created_at: this.deps.clock.now() });
    if (row) return { domain: await this.toWire(row), created: true };
    return { domain: await this.toWire(await this.find(principal, domain)), created: false };
  }

  async list(principal: Principal): Promise<DomainList> {
    const rows = await this.repo.list(principal.userId);
    return { items: [await this.shared(), ...(await Promise.all(rows.map((r) => this.toWire(r))))] };
  }

  async get(principal: Principal, name: string): Promise<Domain> {
    const domain = name.toLowerCase();
    if (domain === this.deps.sharedDomain) return this.shared();
    return this.toWire(await this.find(principal, domain));
  }

  async verify(principal: Principal, name: string): Promise<Domain> {
    requireAccount(principal);
    const row = await this.find(principal, name.toLowerCase());
    if (row.verified_at) return this.toWire(row);
    const record = verificationRecordName(row.name);
    let found: string[] = [];
    try {
      const answers = (await this.deps.resolver(record, 'TXT')) as string[][];
      found = answers.map((chunks) => chunks.join(''));
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      if (code !== 'ENOTFOUND' && code !== 'ENODATA') {
        throw new AppError('unavailable', `DNS lookup of ${record} TXT failed (${code}); try again shortly`);
      }
    }
    if (!found.includes(row.verification_token)) {
      throw new AppError('validation_error', `TXT ${record} must contain "${row.verification_token}"; found ${found.length === 0 ? 'no TXT record' : JSON.stringify(found)}. DNS changes can take a while to propagate`);
    }
    // The caller controls the domain's DNS from here on, so it may learn that another account holds it.
    const taken = () =>
      new AppError('conflict', `${row.name} is already verified by another account on this gateway; its owner must delete it there first (or ask the operator)`);
    if (await this.repo.verifiedElsewhere(principal.userId, row.name)) throw taken();
    try {
      return this.toWire(await this.repo.markVerified(row.id, this.deps.clock.now()));
    } catch (err) {
      // Another account verified the same name a moment ago (domains_verified_name).
      if ((err as { code?: string }).code === '23505') throw taken();
      throw err;
    }
  }

  async delete(principal: Principal, name: string): Promise<void> {
    requireAccount(principal);
    const row = await this.find(principal, name.toLowerCase());
    const agents = await this.repo.agentCount(principal.userId, row.name);
    if (agents > 0) throw new AppError('conflict', `domain ${row.name} still has ${agents} agent(s); delete them first`);
    await this.repo.delete(row.id);
  }

  private async find(principal: Principal, name: string): Promise<DomainRow> {
    if (name === this.deps.sharedDomain) throw new AppError('forbidden', `${name} is the shared domain; it cannot be verified or deleted`);
    const row = await this.repo.find(principal.userId, name);
    if (!row) throw notFound(`domain ${name}`);
    return row;
  }

  private async shared(): Promise<Domain> {
    const key = await this.deps.dkim.forDomain(this.deps.sharedDomain);
    return {
      name: this.deps.sharedDomain,
      shared: true,
      verified: true,
      verified_at: null,
      dns_records: [
        { type: 'TXT', name: key.recordName, value: key.recordValue, purpose: 'DKIM key for mail agents send from the shared domain (the operator publishes it)' },
        { type: 'MX', name: this.deps.sharedDomain, value: this.deps.mxHost, purpose: 'inbound mail (the operator publishes it)' },
      ],
      created_at: new Date(0).toISOString(),
    };
  }

  private async toWire(row: DomainRow): Promise<Domain> {
    // The DKIM key only once verified (see the top of this file).
    const key = row.verified_at ? await this.deps.dkim.forDomain(row.name) : null;
    return {
      name: row.name,
      shared: false,
      verified: row.verified_at !== null,
      verified_at: row.verified_at ? new Date(row.verified_at).toISOString() : null,
      dns_records: [
        { type: 'TXT', name: verificationRecordName(row.name), value: row.verification_token, purpose: 'ownership: then POST /v1/domains/{name}/verify' },
        ...(key ? [{ type: 'TXT' as const, name: key.recordName, value: key.recordValue, purpose: 'DKIM public key: outbound mail is signed with d=' + row.name }] : []),
        { type: 'MX', name: row.name, value: `10 ${this.deps.mxHost}`, purpose: 'inbound mail for agents on this domain' },
      ],
      created_at: new Date(row.created_at).toISOString(),
    };
  }
}
