/**
 * Keeps open connections honest about the credential they authenticated with. A WebSocket listener
 * is authenticated once, at connect; revoking its key or deleting its agent must still end it
 * (close code `revoked`, sdk-ts/src/wire/realtime.ts), on whichever replica it is connected to.
 *
 * Two paths, as for events: the revocation notice (events/revocations.ts) closes matching
 * connections at once; a periodic re-check of every open connection's key and agent, one statement
 * per process, closes those whose notice was lost. A connection that registers just after its
 * notice went by is caught by the short memory of recent revocations.
 */
import type { Logger } from 'pino';
import type { Revocation, RevocationFeed } from '../events/revocations.js';
import { ID_PREFIX } from '../ids.js';

/** One open connection's credential, and how to end the connection. */
export interface HeldCredential {
  keyId: string;
  agentId: string;
  revoke(reason: string): void;
}

/** Which of these keys are revoked or gone, which of these agents are gone, and which expired (docs/EPHEMERAL.md). */
export interface CredentialCheck {
  invalidAmong(keyIds: string[], agentIds: string[]): Promise<{ keyIds: string[]; agentIds: string[]; expiredAgentIds?: string[]; erasingAgentIds?: string[] }>;
}

export const REVOKED_REASON = {
  key: 'API key revoked: create a new key and connect with it',
  /** A dashboard session (its id stands in for a key id) that was signed out or expired. */
  session: 'dashboard session ended: sign in again',
  agent: 'agent deleted: its mailbox is gone; nothing more will arrive on this address',
  expired: 'agent expired: its mailbox is gone; nothing more will arrive on this address',
  /** DELETE of the agent or its account, during the grace period (docs/DATA.md): cancelling restores it. */
  erasing: 'agent scheduled for deletion: it is disabled until the deletion is cancelled or carried out',
} as const;

/** Why a connection whose key (or dashboard session) ended is closed. */
function keyReason(keyId: string): string {
  return keyId.startsWith(`${ID_PREFIX.session}_`) ? REVOKED_REASON.session : REVOKED_REASON.key;
}

/** Revocations remembered for connections that register after the notice (per process, bounded). */
const RECENT_MAX = 4096;

export class CredentialWatch {
  private readonly byKey = new Map<string, Set<HeldCredential>>();
  private readonly byAgent = new Map<string, Set<HeldCredential>>();
  private readonly recent = new Set<string>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private checking: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly opts: { feed: RevocationFeed; check: CredentialCheck; intervalMs: number; logger: Logger },
  ) {
    this.unsubscribe = opts.feed.onRevocation((r) => this.onRevocation(r));
    this.timer = setInterval(() => void this.recheck(), opts.intervalMs);
    this.timer.unref();
  }

  /** Watches an authenticated connection until the returned function (or release) is called. */
  hold(held: HeldCredential): () => void {
    if (this.recent.has(`key ${held.keyId}`)) {
      held.revoke(keyReason(held.keyId));
      return () => {};
    }
    if (this.recent.has(`agent ${held.agentId}`)) {
      held.revoke(REVOKED_REASON.agent);
      return () => {};
    }
    if (this.recent.has(`expired ${held.agentId}`)) {
      held.revoke(REVOKED_REASON.expired);
      return () => {};
    }
    if (this.recent.has(`erasing ${held.agentId}`)) {
      held.revoke(REVOKED_REASON.erasing);
      return () => {};
    }
    add(this.byKey, held.keyId, held);
    add(this.byAgent, held.agentId, held);
    return () => this.release(held);
  }

  /**
   * Stops watching a connection; nothing if it is not watched. For holders that keep no closure per
   * connection (an idle listener should cost little more than its socket).
   */
  release(held: HeldCredential): void {
    remove(this.byKey, held.keyId, held);
    remove(this.byAgent, held.agentId, held);
  }

  /** Open connections of one agent in this process (the listener cap counts them). */
  heldForAgent(agentId: string): number {
    return this.byAgent.get(agentId)?.size ?? 0;
  }

  /** Connections being watched (diagnostics and tests). */
  get size(): number {
    let n = 0;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }

  /** Re-checks every watched credential against the database now; the timer calls it too. */
  recheck(): Promise<void> {
    if (this.stopped || this.byKey.size === 0) return Promise.resolve();
    this.checking ??= this.opts.check
      .invalidAmong([...this.byKey.keys()], [...this.byAgent.keys()])
      .then(({ keyIds, agentIds, expiredAgentIds, erasingAgentIds }) => {
        for (const keyId of keyIds) this.revoke({ kind: 'key', keyId });
        for (const agentId of agentIds) this.revoke({ kind: 'agent', agentId });
        for (const agentId of expiredAgentIds ?? []) this.revoke({ kind: 'agent', agentId, expired: true });
        for (const agentId of erasingAgentIds ?? []) this.revoke({ kind: 'agent', agentId, erasing: true });
      })
      .catch((err) => this.opts.logger.warn({ err }, 'realtime credential check failed; retrying at the next interval'))
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.timer);
    await this.checking;
  }

  private onRevocation(revocation: Revocation): void {
    // A cancelled deletion: the agent's connections may open again in this process.
    if (revocation.kind === 'restored') {
      this.recent.delete(`erasing ${revocation.agentId}`);
      return;
    }
    const tag = revocation.kind === 'key' ? `key ${revocation.keyId}` : `${revocation.expired ? 'expired' : revocation.erasing ? 'erasing' : 'agent'} ${revocation.agentId}`;
    this.recent.add(tag);
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.values().next().value!);
    this.revoke(revocation);
  }

  private revoke(revocation: Exclude<Revocation, { kind: 'restored' }>): void {
    const [index, id, reason] =
      revocation.kind === 'key'
        ? [this.byKey, revocation.keyId, keyReason(revocation.keyId)]
        : [this.byAgent, revocation.agentId, revocation.expired ? REVOKED_REASON.expired : revocation.erasing ? REVOKED_REASON.erasing : REVOKED_REASON.agent];
    const held = index.get(id);
    if (!held) return;
    for (const h of [...held]) {
      remove(this.byKey, h.keyId, h);
      remove(this.byAgent, h.agentId, h);
      h.revoke(reason);
    }
  }
}

function add(index: Map<string, Set<HeldCredential>>, id: string, held: HeldCredential): void {
  let set = index.get(id);
  if (!set) index.set(id, (set = new Set()));
  set.add(held);
}

function remove(index: Map<string, Set<HeldCredential>>, id: string, held: HeldCredential): void {
  const set = index.get(id);
  if (!set) return;
  set.delete(held);
  if (set.size === 0) index.delete(id);
}
