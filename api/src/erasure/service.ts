/**
 * Deleting an agent or the whole account (docs/DATA.md "Erasure"). A deletion is confirmed (the
 * request repeats what it deletes: `?confirm=<address>` or `?confirm=<account email>`), disables its
 * scope at once, and is carried out by the erasure worker when the grace period ends
 * (erasure.grace_period_hours); until then it can be cancelled. Account keys only: an agent key
 * cannot delete its agent, let alone the account.
 *
 * Cancelling: an agent's deletion with an account key (POST /v1/account/erasures/{id}/cancel);
 * either kind with the cancel token the deletion answered with, no key needed (POST
 * /v1/erasures/{id}/cancel), which is the only way back for an account, whose keys are disabled.
 * The account's deletion also mails the token to the account's email, so losing the answer does
 * not lose the way back.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Erasure, ErasurePage, ScheduledErasure } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import { accountEmail } from '../accounts/dashboard-sessions.js';
import { normaliseAgentAddress, type AgentsService } from '../agents/service.js';
import { isoTime, type Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { newId, randomToken, sha256Hex } from '../ids.js';
import { decodeCursor, toPage } from '../paging.js';
import { scheduledNotice } from './mail.js';
import { ErasuresRepo, type ErasureRow } from './repo.js';

export function toWireErasure(row: ErasureRow): Erasure {
  return {
    id: row.id,
    scope: row.scope,
    target: row.target,
    status: row.status,
    requested_at: isoTime(row.requested_at),
    erase_after: isoTime(row.erase_after),
    cancelled_at: isoTime(row.cancelled_at),
    completed_at: isoTime(row.completed_at),
    erased: row.erased as Record<string, number>,
  };
}

export interface ErasureServiceDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  agents: AgentsService;
  graceMs: number;
  /** From address of the gateway's own mail (review.notify_from). */
  mailFrom: string;
  wakeMail: () => void;
}

export class ErasureService {
  private readonly repo: ErasuresRepo;

  constructor(private readonly deps: ErasureServiceDeps) {
    this.repo = new ErasuresRepo(deps.db);
  }

  private requireAccount(principal: Principal, what: string): void {
    if (principal.scope !== 'account') throw new AppError('forbidden', `agent-scoped keys cannot ${what}; use an account key`);
  }

  /** DELETE /v1/agents/{address}?confirm=<address>: schedules the agent's erasure and disables it. */
  async deleteAgent(principal: Principal, address: string, confirm: string | undefined): Promise<ScheduledErasure> {
    const agent = await this.deps.agents.forDeletion(principal, address);
    if (confirm === undefined || normaliseAgentAddress(confirm) !== agent.address) {
      throw new AppError(
        'validation_error',
        `deleting ${agent.address} erases its mailbox, keys and history after a grace period; confirm by repeating its address: DELETE /v1/agents/${agent.address}?confirm=${agent.address}`,
        [{ path: 'query.confirm', message: confirm === undefined ? "required: the agent's address" : `must be ${agent.address}` }],
      );
    }
    const live = await this.repo.live({ scope: 'agent', agentId: agent.id });
    if (live) return toWireErasure(live);
    return this.schedule({ userId: principal.userId, scope: 'agent', agentId: agent.id, target: agent.address });
  }

  /** DELETE /v1/account?confirm=<email>: schedules the account's erasure and disables it at once. */
  async deleteAccount(principal: Principal, confirm: string | undefined): Promise<ScheduledErasure> {
    this.requireAccount(principal, 'delete the account');
    const email = accountEmail(principal.email);
    if (confirm === undefined || accountEmail(confirm) !== email) {
      throw new AppError(
        'validation_error',
        `deleting the account erases every agent, message, key and setting of it after a grace period; confirm by repeating the account's email: DELETE /v1/account?confirm=${email}`,
        [{ path: 'query.confirm', message: confirm === undefined ? "required: the account's email" : "must be the account's email" }],
      );
    }
    const live = await this.repo.live({ scope: 'account', userId: principal.userId });
    if (live) return toWireErasure(live);
    const scheduled = await this.schedule({ userId: principal.userId, scope: 'account', agentId: null, target: email });
    this.deps.wakeMail();
    return scheduled;
  }

  private async schedule(req: { userId: string; scope: 'account' | 'agent'; agentId: string | null; target: string }): Promise<ScheduledErasure> {
    const { clock, graceMs } = this.deps;
    const now = clock.now();
    const token = randomToken(32);
    try {
      const row = await this.deps.db.transaction().execute(async (tx) => {
        const repo = new ErasuresRepo(tx);
        const row = await repo.insert({
          id: newId('erasure'),
          user_id: req.userId,
          scope: req.scope,
          agent_id: req.agentId,
          target: req.target,
          cancel_token_hash: sha256Hex(token),
          requested_at: now,
          erase_after: new Date(now.getTime() + graceMs),
        });
        if (req.scope === 'agent') await repo.disableAgent(req.agentId!, row.id);
        else {
          await repo.disableAccount(req.userId, row.id);
          const notice = scheduledNotice({ erasureId: row.id, email: req.target, eraseAfter: row.erase_after, token });
          await repo.queueMail({ id: newId('systemMail'), user_id: req.userId, kind: 'erasure_scheduled', from: this.deps.mailFrom, to: req.target, subject: notice.subject, text: this.deps.box.seal(notice.text), now });
        }
        return row;
      });
      return { ...toWireErasure(row), cancel_token: token };
    } catch (err) {
      // A concurrent identical request won (one live erasure per scope): answer with its erasure.
      if ((err as { code?: string }).code !== '23505') throw err;
      const live = await this.repo.live(req.scope === 'agent' ? { scope: 'agent', agentId: req.agentId! } : { scope: 'account', userId: req.userId });
      if (!live) throw err;
      return toWireErasure(live);
    }
  }

  async list(principal: Principal, opts: { limit: number; cursor?: string | undefined }): Promise<ErasurePage> {
    this.requireAccount(principal, 'read erasures');
    const rows = await this.repo.list(principal.userId, { limit: opts.limit, beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    return toPage(rows, opts.limit, toWireErasure);
  }

  async get(principal: Principal, id: string): Promise<Erasure> {
    this.requireAccount(principal, 'read erasures');
    return toWireErasure(await this.own(principal, id));
  }

  /** An agent's deletion, cancelled with an account key of its account. */
  async cancelWithKey(principal: Principal, id: string): Promise<Erasure> {
    this.requireAccount(principal, 'cancel deletions');
    return this.cancel(await this.own(principal, id));
  }

  /** Either kind of deletion, cancelled with its token: no key needed (an account's keys are disabled). */
  async cancelWithToken(id: string, token: string): Promise<Erasure> {
    const row = await this.repo.get(id);
    // One answer for an unknown id and a wrong token: neither tells the other.
    if (!row || !sameHash(row.cancel_token_hash, sha256Hex(token))) throw new AppError('not_found', `erasure ${id} not found, or the cancel token is not its own`);
    return this.cancel(row);
  }

  private async cancel(row: ErasureRow): Promise<Erasure> {
    if (row.status === 'cancelled') return toWireErasure(row);
    const now = this.deps.clock.now();
    const cancelled = await this.deps.db.transaction().execute((tx) => new ErasuresRepo(tx).cancel(row, now));
    if (!cancelled) {
      const current = (await this.repo.get(row.id)) ?? row;
      if (current.status === 'cancelled') return toWireErasure(current);
      throw new AppError('conflict', `erasure ${row.id} can no longer be cancelled: it is ${current.status === 'scheduled' ? `due since ${isoTime(current.erase_after)} and about to start` : current.status}`);
    }
    return toWireErasure((await this.repo.get(row.id))!);
  }

  private async own(principal: Principal, id: string): Promise<ErasureRow> {
    const row = await this.repo.get(id);
    if (!row || row.user_id !== principal.userId) throw new AppError('not_found', `erasure ${id} not found`);
    return row;
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
