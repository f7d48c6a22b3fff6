/**
 * "Could this address be an agent here?": the shared domain and the verified domains. The outbound
 * worker asks before looking recipients up, so mail to the outside world costs no agents query.
 * Verified domains change rarely, so they are cached for 10 s: for that long after a domain is
 * verified, mail to its agents still leaves through the outbound route and comes back in over SMTP
 * (its MX points here), delivered either way.
 */
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';

export class LocalDomains {
  private cached: { at: number; domains: Set<string> } | null = null;

  constructor(private readonly deps: { db: Database; sharedDomain: string; clock: Clock; ttlMs?: number }) {}

  async includes(address: string): Promise<boolean> {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    if (domain === this.deps.sharedDomain) return true;
    return (await this.verified()).has(domain);
  }

  private async verified(): Promise<Set<string>> {
    const now = this.deps.clock.now().getTime();
    if (this.cached && now - this.cached.at < (this.deps.ttlMs ?? 10_000)) return this.cached.domains;
    const rows = await this.deps.db.selectFrom('domains').select('name').where('verified_at', 'is not', null).execute();
    this.cached = { at: now, domains: new Set(rows.map((r) => r.name)) };
    return this.cached.domains;
  }
}
