/**
 * CredentialWatch with a hand-driven notice feed and credential check: which connections a notice
 * or a re-check ends, and a connection that registers just after its notice went by.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Revocation, RevocationFeed } from '../events/revocations.js';
import { CredentialWatch, REVOKED_REASON, type CredentialCheck } from './credential-watch.js';

class Feed implements RevocationFeed {
  private listener: ((r: Revocation) => void) | null = null;
  onRevocation(listener: (r: Revocation) => void) {
    this.listener = listener;
    return () => (this.listener = null);
  }
  notify(r: Revocation) {
    this.listener?.(r);
  }
}

/** A database where the given keys are revoked and the given agents deleted. */
function checkWith(invalid: { keyIds?: string[]; agentIds?: string[] }): CredentialCheck {
  return {
    invalidAmong: async (keyIds, agentIds) => ({
      keyIds: keyIds.filter((id) => invalid.keyIds?.includes(id)),
      agentIds: agentIds.filter((id) => invalid.agentIds?.includes(id)),
    }),
  };
}

function connection(keyId: string, agentId: string) {
  const revoked: string[] = [];
  return { held: { keyId, agentId, revoke: (reason: string) => revoked.push(reason) }, revoked };
}

describe('CredentialWatch', () => {
  let watch: CredentialWatch | null = null;
  afterEach(() => watch?.stop());
  const start = (feed: RevocationFeed, check: CredentialCheck) =>
    (watch = new CredentialWatch({ feed, check, intervalMs: 3_600_000, logger: pino({ level: 'silent' }) }));

  it('a key notice ends the connections of that key only; an agent notice those of that agent', () => {
    const feed = new Feed();
    const w = start(feed, checkWith({}));
    const k1a1 = connection('key_1', 'agent_1');
    const k1a2 = connection('key_1', 'agent_2');
    const k2a1 = connection('key_2', 'agent_1');
    const k3a3 = connection('key_3', 'agent_3');
    for (const c of [k1a1, k1a2, k2a1, k3a3]) w.hold(c.held);

    feed.notify({ kind: 'key', keyId: 'key_1' });
    expect([k1a1.revoked, k1a2.revoked, k2a1.revoked, k3a3.revoked]).toEqual([[REVOKED_REASON.key], [REVOKED_REASON.key], [], []]);
    feed.notify({ kind: 'agent', agentId: 'agent_1' });
    expect(k2a1.revoked).toEqual([REVOKED_REASON.agent]);
    expect(k3a3.revoked).toEqual([]);
    expect(w.size).toBe(1);
  });

  it('a connection that registers after its notice is ended at once', () => {
    const feed = new Feed();
    const w = start(feed, checkWith({}));
    feed.notify({ kind: 'key', keyId: 'key_late' });
    feed.notify({ kind: 'agent', agentId: 'agent_gone' });
    const byKey = connection('key_late', 'agent_1');
    const byAgent = connection('key_2', 'agent_gone');
    const fine = connection('key_2', 'agent_1');
    for (const c of [byKey, byAgent, fine]) w.hold(c.held);
    expect([byKey.revoked, byAgent.revoked, fine.revoked]).toEqual([[REVOKED_REASON.key], [REVOKED_REASON.agent], []]);
  });

  it('the re-check ends what the database no longer allows, and a released connection is not checked', async () => {
    const w = start(new Feed(), checkWith({ keyIds: ['key_revoked'], agentIds: ['agent_deleted'] }));
    const revokedKey = connection('key_revoked', 'agent_1');
    const deletedAgent = connection('key_2', 'agent_deleted');
    const fine = connection('key_2', 'agent_1');
    const released = connection('key_revoked', 'agent_3');
    for (const c of [revokedKey, deletedAgent, fine]) w.hold(c.held);
    w.hold(released.held)();

    await w.recheck();
    expect([revokedKey.revoked, deletedAgent.revoked, fine.revoked, released.revoked]).toEqual([[REVOKED_REASON.key], [REVOKED_REASON.agent], [], []]);
    expect(w.size).toBe(1);
  });
});
