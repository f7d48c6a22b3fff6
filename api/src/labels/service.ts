/**
 * Labels (docs/LABELS.md): an agent labels what its mailbox shows, messages and conversations, with
 * names of its own; the system labels are derived (labels/conditions.ts). Which mailbox a key may
 * open is AgentsService.resolve's rule, and the routes resolve the agent first: another tenant's or
 * another agent's labels answer as an agent that does not exist. A message or conversation the
 * mailbox does not show (held mail above all) answers as one that does not exist.
 *
 * One agent's changes run one at a time (LabelsRepo.lock), so the cap on its labels holds and a
 * label being deleted is not linked meanwhile.
 */
import { isSystemLabel, type Label, type LabelChanges, type LabelList, type LabelSet, type SystemLabel } from '@e2a/sdk/wire';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError, notFound } from '../errors.js';
import { appendEvents, appendEventsFrom, storedMessageFacts, type EventDraft } from '../events/outbox.js';
import { newId } from '../ids.js';
import { labelsOf, SHOWN_SYSTEM_LABELS } from './conditions.js';
import { conversationLabelsChanged, messageLabelsChanged, newChangeKey } from './events.js';
import { LabelsRepo, type LabelRow, type LabelTarget } from './repo.js';

type Changes = z.output<typeof LabelChanges>;
type Agent = { id: string; address: string; user_id: string };

export interface LabelsDeps {
  db: Database;
  clock: Clock;
  /** labels.max_per_agent. */
  maxPerAgent: number;
}

/** Why a system label cannot be added, removed or deleted, and what to do instead. */
const SYSTEM_FIX: Record<SystemLabel, string> = {
  unread: 'it is derived from read_at; mark the message read or unread with PATCH /v1/agents/{address}/messages/{id} {"read": …}',
  sent: "it is derived: it marks the agent's own outbound mail",
  trash: 'it is derived from deleted_at: move the message to the trash with DELETE /v1/agents/{address}/messages/{id}, and out of it with POST …/{id}/restore',
  held: 'held mail is in no mailbox; account keys decide it with /v1/reviews',
};

const lowerKeys = (names: readonly string[]) => [...new Set(names.map((n) => n.toLowerCase()))];

export class LabelsService {
  constructor(private readonly deps: LabelsDeps) {}

  /** Adds and removes a message's labels; its labels as they now are. */
  changeMessage(agent: Agent, messageId: string, body: Changes): Promise<LabelSet> {
    return this.change(agent, 'message', messageId, body);
  }

  /** Adds and removes a conversation's own labels; its labels as they now are. */
  changeConversation(agent: Agent, conversationId: string, body: Changes): Promise<LabelSet> {
    return this.change(agent, 'conversation', conversationId, body);
  }

  /** The agent's labels with their counts: the system labels a mailbox shows, then its own, by name. */
  async list(agent: Agent): Promise<LabelList> {
    const now = this.deps.clock.now();
    const repo = new LabelsRepo(this.deps.db);
    const [system, user] = await Promise.all([repo.systemCounts(agent.id, now), repo.list(agent.id, now)]);
    const items: Label[] = [
      ...SHOWN_SYSTEM_LABELS.map((name) => ({ name, system: true, ...system[name], created_at: null })),
      ...user.map((l) => ({
        name: l.name,
        system: false,
        messages: l.messages ?? 0,
        unread_messages: l.unread_messages ?? 0,
        conversations: l.conversations ?? 0,
        created_at: new Date(l.created_at).toISOString(),
      })),
    ];
    return { items };
  }

  /** Deletes a label: it leaves every message and conversation, each of which gets its labels_changed event. */
  async delete(agent: Agent, name: string): Promise<void> {
    if (isSystemLabel(name)) throw systemLabelError(name.toLowerCase() as SystemLabel, 'deleted', 'path.label');
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (tx) => {
      const repo = new LabelsRepo(tx);
      await repo.lock(agent.id);
      const [label] = await repo.byKeys(agent.id, [name.toLowerCase()]);
      if (!label) throw notFound(`label ${name}`);
      const { messageIds, conversationIds } = await repo.delete(label.id);
      const key = newChangeKey();
      const removed = { added: [], removed: [label.name] };
      const drafts: EventDraft[] = [
        ...(await repo.messages(agent.id, messageIds, now)).map((m) => messageLabelsChanged(key, storedMessageFacts(m, agent.address), { labels: labelsOf(m), ...removed })),
        ...(await repo.conversations(agent.id, conversationIds, now)).map((c) =>
          conversationLabelsChanged(key, { id: c.id, agentAddress: agent.address, subject: c.subject }, { labels: labelsOf(c), ...removed }),
        ),
      ];
      // One statement whatever the count: the drafts travel as arrays (events/outbox.ts).
      const abouts = drafts.map((d) => d.about);
      await appendEventsFrom(tx, drafts, sql`SELECT a, ${agent.user_id}::text, ${agent.id}::text FROM unnest(${abouts}::text[]) AS a`, now).execute();
    });
  }

  private async change(agent: Agent, target: LabelTarget, targetId: string, body: Changes): Promise<LabelSet> {
    const { add, remove } = checkChanges(body);
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (tx) => {
      const repo = new LabelsRepo(tx);
      await repo.lock(agent.id);
      const before = target === 'message' ? await repo.message(agent.id, targetId, now) : await repo.conversation(agent.id, targetId, now);
      if (!before) throw notFound(`${target} ${targetId}`);
      const adding = await this.ensure(repo, agent, add, now);
      const removing = await repo.byKeys(agent.id, lowerKeys(remove));
      const added = await repo.attach(target, targetId, adding.map((l) => l.id));
      const removed = await repo.detach(target, targetId, removing.map((l) => l.id));
      if (added.length === 0 && removed.length === 0) return { labels: labelsOf(before) };

      const nameOf = new Map([...adding, ...removing].map((l) => [l.id, l.name]));
      const names = (ids: string[]) => ids.map((id) => nameOf.get(id)!).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
      const key = newChangeKey();
      let labels: string[];
      let draft: EventDraft;
      if (target === 'message') {
        const after = (await repo.message(agent.id, targetId, now))!;
        labels = labelsOf(after);
        draft = messageLabelsChanged(key, storedMessageFacts(after, agent.address), { labels, added: names(added), removed: names(removed) });
      } else {
        const after = (await repo.conversation(agent.id, targetId, now))!;
        labels = labelsOf(after);
        draft = conversationLabelsChanged(key, { id: after.id, agentAddress: agent.address, subject: after.subject }, { labels, added: names(added), removed: names(removed) });
      }
      await appendEvents(tx, [draft], { userId: agent.user_id, agentId: agent.id, at: now });
      return { labels };
    });
  }

  /** The agent's labels with these names, creating those it has not got, within labels.max_per_agent. */
  private async ensure(repo: LabelsRepo, agent: Agent, names: readonly string[], now: Date): Promise<LabelRow[]> {
    if (names.length === 0) return [];
    const existing = await repo.byKeys(agent.id, lowerKeys(names));
    const known = new Set(existing.map((l) => l.name.toLowerCase()));
    // The first spelling given names a new label.
    const fresh = new Map<string, LabelRow>();
    for (const name of names) {
      const key = name.toLowerCase();
      if (!known.has(key) && !fresh.has(key)) fresh.set(key, { id: newId('label'), name });
    }
    if (fresh.size === 0) return existing;
    const { maxPerAgent } = this.deps;
    const count = await repo.count(agent.id);
    if (count + fresh.size > maxPerAgent) {
      throw new AppError(
        'quota_exceeded',
        `agent ${agent.address} has ${count} labels and may have ${maxPerAgent} (labels.max_per_agent); this change would create ${fresh.size} more (${[...fresh.values()].map((l) => l.name).join(', ')}). Use a label it has (GET /v1/agents/{address}/labels), delete one with DELETE /v1/agents/{address}/labels/{label}, or ask the operator to raise the cap`,
      );
    }
    await repo.create(agent.id, [...fresh.values()], now);
    return repo.byKeys(agent.id, lowerKeys(names));
  }
}

function systemLabelError(label: SystemLabel, verb: string, path: string): AppError {
  const message = `${label} is a system label and cannot be ${verb}: ${SYSTEM_FIX[label]} (docs/LABELS.md)`;
  return new AppError('validation_error', `${path}: ${message}`, [{ path, message }]);
}

/** The change as given, or the 422 naming each system label in it and any name both added and removed. */
function checkChanges(body: Changes): Changes {
  const details: Array<{ path: string; message: string }> = [];
  for (const field of ['add', 'remove'] as const) {
    body[field].forEach((name, i) => {
      if (isSystemLabel(name)) details.push(systemLabelError(name.toLowerCase() as SystemLabel, field === 'add' ? 'added' : 'removed', `body.${field}.${i}`).details![0]!);
    });
  }
  const removing = new Set(lowerKeys(body.remove));
  body.add.forEach((name, i) => {
    if (removing.has(name.toLowerCase())) details.push({ path: `body.add.${i}`, message: `"${name}" is both added and removed; give it in one of the two` });
  });
  if (details.length > 0) throw new AppError('validation_error', `${details[0]!.path}: ${details[0]!.message}`, details);
  return body;
}
