/**
 * Users and API keys. A key is `e2a_` + 32 random bytes (base64url); only its SHA-256 and a short
 * display prefix are stored, so a database leak yields no usable key.
 */
import { isExpired } from '../agents/expiry.js';
import { normaliseAgentAddress } from '../agents/service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { announceRevocation } from '../events/revocations.js';
import type { RequestCredential } from '../http/credentials.js';
import { AppError } from '../errors.js';
import { sessionPrincipal } from './dashboard-sessions.js';
import { newId, randomToken, sha256Hex } from '../ids.js';
import type { Principal } from './principal.js';
import { AccountsRepo } from './repo.js';

export const API_KEY_PREFIX = 'e2a_';

export interface IssuedKey {
  id: string;
  key: string;
  prefix: string;
  createdAt: Date;
}

export class AccountsService {
  private readonly repo: AccountsRepo;
  private readonly db: Database;
  private readonly clock: Clock;

  constructor(deps: { db: Database; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.repo = new AccountsRepo(deps.db);
  }

  hasUsers(): Promise<boolean> {
    return this.repo.countUsers().then((n) => n > 0);
  }

  /** Create a user with an account-scoped key. An existing user gets a fresh key. */
  async bootstrap(email: string): Promise<{ userId: string; email: string; apiKey: IssuedKey; created: boolean }> {
    const normalized = email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized)) throw new AppError('validation_error', `not an email address: ${email}`);
    return this.db.transaction().execute(async (tx) => {
      const existing = await this.repo.userIdByEmail(tx, normalized);
      const userId = existing?.id ?? newId('user');
      if (!existing) await this.repo.insertUser(tx, { id: userId, email: normalized, created_at: this.clock.now() });
      const apiKey = await this.issueKey(tx, userId, { name: 'bootstrap', scope: 'account', agentId: null });
      return { userId, email: normalized, apiKey, created: !existing };
    });
  }

  async issueKey(db: Database, userId: string, opts: { name: string; scope: 'account' | 'agent'; agentId: string | null }): Promise<IssuedKey> {
    const key = `${API_KEY_PREFIX}${randomToken(32)}`;
    const id = newId('apiKey');
    const prefix = key.slice(0, 12);
    const createdAt = this.clock.now();
    await this.repo.insertKey(db, {
      id,
      user_id: userId,
      name: opts.name,
      prefix,
      key_hash: sha256Hex(key),
      scope: opts.scope,
      agent_id: opts.agentId,
      created_at: createdAt,
    });
    return { id, key, prefix, createdAt };
  }

  /**
   * Resolve a Bearer token to a principal, or throw unauthorized with a reason that helps. With
   * `agentAddress` (the :address of `/v1/agents/:address/…`), the statement that finds the key also
   * loads that agent into `principal.pathAgent`, which AgentsService.resolve then uses.
   */
  async authenticate(token: string, opts: { agentAddress?: string | undefined } = {}): Promise<Principal> {
    if (!token.startsWith(API_KEY_PREFIX)) {
      throw new AppError('unauthorized', 'API key must start with e2a_; send it as "Authorization: Bearer e2a_…"');
    }
    const hash = sha256Hex(token);
    const { key: row, pathAgent } =
      opts.agentAddress === undefined
        ? { key: await this.repo.findKeyByHash(hash), pathAgent: undefined }
        : await this.repo.findKeyWithPathAgent(hash, normaliseAgentAddress(opts.agentAddress));
    if (!row) throw new AppError('unauthorized', 'unknown API key');
    if (row.revoked_at) throw new AppError('unauthorized', 'API key has been revoked; create a new one');
    const now = this.clock.now();
    // An ephemeral agent's keys end with it, at its expires_at, before the worker deletes them
    // (docs/EPHEMERAL.md): answered as a revoked key.
    if (isExpired(row.agent_expires_at, now)) throw new AppError('unauthorized', 'API key has been revoked: its agent expired; create a new agent and key');
    // A scheduled erasure disables its scope at once (docs/DATA.md): the account's every key, or
    // the agent's keys, answer as revoked until the deletion is cancelled.
    if (row.account_erasure_id) {
      throw new AppError('unauthorized', `this account is scheduled for deletion (erasure ${row.account_erasure_id}): its keys stay disabled unless the deletion is cancelled with its cancel token (POST /v1/erasures/${row.account_erasure_id}/cancel)`);
    }
    if (row.agent_erasure_id) {
      throw new AppError('unauthorized', `API key disabled: its agent is scheduled for deletion (erasure ${row.agent_erasure_id}); an account key can cancel it (POST /v1/account/erasures/${row.agent_erasure_id}/cancel)`);
    }
    // Record use at most once a minute per key: a write on every request would serialise readers.
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
      await this.repo.touchKey(row.id, now);
    }
    return {
      userId: row.user_id,
      email: row.email,
      keyId: row.id,
      scope: row.scope,
      agentId: row.agent_id,
      agentAddress: row.agent_address ?? null,
      ...(pathAgent ? { pathAgent } : {}),
    };
  }

  /**
   * The one place a request's credential becomes a principal, for the REST routes (http/app.ts) and
   * the WebSocket upgrade (realtime): an API key, or a dashboard session cookie (account scope).
   */
  principalFor(credential: RequestCredential, opts: { agentAddress?: string | undefined } = {}): Promise<Principal> {
    if (credential.kind === 'session') return sessionPrincipal(this.db, this.clock, credential.token);
    if (credential.token === null) return Promise.reject(new AppError('unauthorized', 'Authorization header must be "Bearer e2a_…"'));
    return this.authenticate(credential.token, opts);
  }

  /** Revokes the key; connections it opened (WebSocket listeners) close on every replica at commit. */
  async revokeKey(principal: Principal, keyId: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const res = await this.repo.revokeKey(tx, principal.userId, keyId, this.clock.now());
      if (Number(res.numUpdatedRows) === 0) throw new AppError('not_found', `API key ${keyId} not found`);
      await announceRevocation(tx, { kind: 'key', keyId });
    });
  }
}
