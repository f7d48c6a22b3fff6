/**
 * One DKIM key per sending domain (the shared domain included), generated on first use: RSA-2048,
 * the private key sealed in dkim_keys, the public half shown as the TXT record to publish. Two
 * processes racing to create a domain's key both insert ON CONFLICT DO NOTHING and then read the
 * row that won, so every replica signs with the same key.
 */
import { dkimRecordName, dkimRecordValue, generateDkimKeyPair, type Resolver } from '@e2a/relay';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { DkimKeysRepo } from './repo.js';

export interface DomainKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
  /** `<selector>._domainkey.<domain>` */
  recordName: string;
  /** `v=DKIM1; k=rsa; p=…` */
  recordValue: string;
}

export class DkimKeys {
  private readonly cache = new Map<string, Promise<DomainKey>>();

  private readonly repo: DkimKeysRepo;

  constructor(private readonly deps: { db: Database; box: SecretBox; clock: Clock; selector: string; /** Tests use 1024 for speed. */ bits?: number }) {
    this.repo = new DkimKeysRepo(deps.db);
  }

  /** The key for `domain`, created if it has none yet. */
  forDomain(domain: string): Promise<DomainKey> {
    const name = domain.toLowerCase();
    let pending = this.cache.get(name);
    if (!pending) {
      pending = this.load(name);
      this.cache.set(name, pending);
      pending.catch(() => this.cache.delete(name));
    }
    return pending;
  }

  private async load(domain: string): Promise<DomainKey> {
    const { box } = this.deps;
    let row = await this.repo.find(domain);
    if (!row) {
      const pair = await generateDkimKeyPair(this.deps.bits ?? 2048);
      await this.repo.insertIfAbsent({ domain, selector: this.deps.selector, private_key: box.seal(pair.privateKeyPem), public_key: pair.publicKey, created_at: this.deps.clock.now() });
      row = await this.repo.get(domain);
    }
    return {
      domain,
      selector: row.selector,
      privateKeyPem: box.open(row.private_key).toString('utf8'),
      recordName: dkimRecordName(row.selector, domain),
      recordValue: dkimRecordValue(row.public_key),
    };
  }

  /**
   * A resolver that answers our own DKIM key records from the database and asks `fallback` for
   * everything else. Local delivery verifies the signature it just made with it, so an agent on
   * this gateway gets a real DKIM verdict even before the operator has published the record.
   */
  overlay(fallback: Resolver): Resolver {
    return async (name, rrtype) => {
      const m = /^([a-z0-9-]+)\._domainkey\.(.+?)\.?$/i.exec(name);
      if (m && rrtype.toUpperCase() === 'TXT') {
        const key = await this.published(m[2]!.toLowerCase());
        if (key && key.selector === m[1]!.toLowerCase()) return [[key.recordValue]];
      }
      return fallback(name, rrtype);
    };
  }

  /**
   * The public half of `domain`'s key, never creating one. Local delivery verifies mail this process
   * has just signed, so the key is usually cached already; keys are never replaced once stored.
   */
  private async published(domain: string): Promise<Pick<DomainKey, 'selector' | 'recordValue'> | undefined> {
    const cached = this.cache.get(domain);
    if (cached) return cached;
    const row = await this.repo.findPublic(domain);
    return row && { selector: row.selector, recordValue: dkimRecordValue(row.public_key) };
  }
}
