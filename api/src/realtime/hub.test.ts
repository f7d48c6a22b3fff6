/**
 * The hub against a real database with a bus the test controls: notifications can be withheld
 * (the poll must find the event) or delivered out of sequence order (a late commit must still be
 * sent). Events are inserted directly, as any code path may write them.
 */
import { pino } from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import type { EventBus, EventNotice } from '../events/bus.js';
import { ENGINES, openTestDatabase, type TestDatabase } from '../testing/databases.js';
import { until } from '../testing/until.js';
import { RealtimeHub, type ListenerSink } from './hub.js';
import { RealtimeRepo } from './repo.js';

class ControlledBus implements EventBus {
  private listeners = new Set<(n: EventNotice) => void>();
  subscribe(listener: (n: EventNotice) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(notice: EventNotice) {
    for (const l of this.listeners) l(notice);
  }
  // Every notice the test emits is heard, whichever agents are watched.
  async watchAgent() {
    return () => {};
  }
  async close() {}
}

class RecordingSink implements ListenerSink {
  readonly ids: string[] = [];
  bufferedAmount = 0;
  closedWith: number | null = null;
  async send(frame: string) {
    this.ids.push((JSON.parse(frame) as { event: { id: string } }).event.id);
  }
  close(code: number) {
    this.closedWith = code;
  }
  async until(n: number, what: string) {
    await until(`${what} (${n} events)`, () => this.ids.length >= n);
  }
}

describe.each(ENGINES)('realtime hub (%s)', (engine) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await openTestDatabase(engine);
    const db = tdb.handle.db;
    await db.insertInto('users').values({ id: 'user_1', email: 'u@example.com' }).execute();
    await db.insertInto('agents').values({ id: 'agent_1', user_id: 'user_1', address: 'a@agents.test', domain: 'agents.test', display_name: null }).execute();
  });
  afterAll(() => tdb?.drop());

  let n = 0;
  async function insertEvent(opts: { seq?: number; priority?: 'urgent' | 'normal' | 'low' } = {}): Promise<{ id: string; seq: number }> {
    n += 1;
    const id = `evt_hub_${n}`;
    const data = JSON.stringify({ message_id: `msg_${n}`, agent_address: 'a@agents.test', conversation_id: 'conv_1', direction: 'inbound', from: null, to: [], subject: `s${n}`, verified: false, priority: opts.priority ?? 'normal' });
    const result = opts.seq
      ? await sql<{ seq: number }>`INSERT INTO events (seq, id, user_id, agent_id, type, schema_version, data)
          OVERRIDING SYSTEM VALUE VALUES (${opts.seq}, ${id}, 'user_1', 'agent_1', 'email.received', 1, ${data}::jsonb) RETURNING seq`.execute(tdb.handle.db)
      : await sql<{ seq: number }>`INSERT INTO events (id, user_id, agent_id, type, schema_version, data)
          VALUES (${id}, 'user_1', 'agent_1', 'email.received', 1, ${data}::jsonb) RETURNING seq`.execute(tdb.handle.db);
    return { id, seq: Number(result.rows[0]!.seq) };
  }

  function startHub(bus: EventBus, pollIntervalMs: number, replayBatch?: number) {
    return new RealtimeHub({ repo: new RealtimeRepo(tdb.handle.db), bus, clock: systemClock, logger: pino({ level: 'silent' }), pollIntervalMs, replayBatch });
  }

  it('replays a backlog larger than one page, in order, skipping acknowledged events', async () => {
    const hub = startHub(new ControlledBus(), 60_000, 4);
    const repo = new RealtimeRepo(tdb.handle.db);
    const start = await repo.maxSeq('agent_1');
    try {
      const inserted = [];
      for (let i = 0; i < 11; i++) inserted.push(await insertEvent());
      expect(await repo.ack('agent_1', inserted[5]!.id, new Date())).toBe(true);
      expect(await repo.ack('agent_1', 'evt_elsewhere', new Date())).toBe(false);
      const sink = new RecordingSink();
      await hub.join(sink, 'agent_1', start);
      await sink.until(10, 'ten unacknowledged events');
      expect(sink.ids).toEqual(inserted.filter((_, i) => i !== 5).map((e) => e.id));
    } finally {
      await hub.stop();
    }
  });

  it('replays urgent events first, across pages, then the rest in order; again after a resume', async () => {
    const hub = startHub(new ControlledBus(), 60_000, 2);
    const repo = new RealtimeRepo(tdb.handle.db);
    const start = await repo.maxSeq('agent_1');
    try {
      const order = ['normal', 'urgent', 'low', 'urgent', 'normal', 'urgent', 'normal'] as const;
      const inserted = [];
      for (const priority of order) inserted.push({ ...(await insertEvent({ priority })), priority });
      const urgent = inserted.filter((e) => e.priority === 'urgent').map((e) => e.id);
      const rest = inserted.filter((e) => e.priority !== 'urgent').map((e) => e.id);
      const sink = new RecordingSink();
      const sub = await hub.join(sink, 'agent_1', start);
      await sink.until(order.length, 'the backlog');
      expect(sink.ids).toEqual([...urgent, ...rest]);

      // Resume after the first event: the urgent ones after it first, then the others after it.
      expect(await sub.resume(inserted[0]!.id)).toBe(true);
      await sink.until(order.length * 2 - 1, 'the backlog after the resume');
      expect(sink.ids.slice(order.length)).toEqual([...urgent, ...rest.slice(1)]);
      for (const e of inserted) await repo.ack('agent_1', e.id, new Date());
    } finally {
      await hub.stop();
    }
  });

  it('finds an event whose notification never came, by polling', async () => {
    const bus = new ControlledBus();
    const hub = startHub(bus, 50);
    const sink = new RecordingSink();
    try {
      const sub = await hub.join(sink, 'agent_1', await new RealtimeRepo(tdb.handle.db).maxSeq('agent_1'));
      const old = await insertEvent();
      await sink.until(1, 'the first event');
      // The bus stays silent from here on: only the poll can deliver this one.
      const missed = await insertEvent();
      await sink.until(2, 'the un-notified event');
      expect(sink.ids).toEqual([old.id, missed.id]);
      sub.leave();
      expect(hub.agentCount).toBe(0);
    } finally {
      await hub.stop();
    }
  });

  it('sends a late commit (a lower seq that became visible after a higher one was sent)', async () => {
    const bus = new ControlledBus();
    // Effectively no poll: the notice alone must bring the late event.
    const hub = startHub(bus, 60_000);
    try {
      // Reserve a seq the way a slow transaction does, then let a later one commit first.
      const reserved = await sql<{ seq: number }>`SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq`.execute(tdb.handle.db);
      const lateSeq = Number(reserved.rows[0]!.seq);
      const fresh = new RecordingSink();
      // Start live past everything so far: only the two events below are of interest.
      const live = await hub.join(fresh, 'agent_1', lateSeq);
      const later = await insertEvent();
      bus.emit({ agentId: 'agent_1', seq: later.seq, type: 'email.received', deliveries: 0 });
      await fresh.until(1, 'the later event');
      const late = await insertEvent({ seq: lateSeq });
      bus.emit({ agentId: 'agent_1', seq: late.seq, type: 'email.received', deliveries: 0 });
      await fresh.until(2, 'the late event');
      expect(fresh.ids).toEqual([later.id, late.id]);
      live.leave();
    } finally {
      await hub.stop();
    }
  });

  it('sends a late event whose notice came while a fetch that returns a later one was in flight', async () => {
    const bus = new ControlledBus();
    let holdNext = false;
    let release: (() => void) | null = null;
    /** Holds one fetch after its query ran, so a notice can arrive in between. */
    class HeldRepo extends RealtimeRepo {
      override async since(agentId: string, after: number, late: number[], limit: number) {
        const rows = await super.since(agentId, after, late, limit);
        if (holdNext) {
          holdNext = false;
          await new Promise<void>((resolve) => (release = resolve));
        }
        return rows;
      }
    }
    const hub = new RealtimeHub({ repo: new HeldRepo(tdb.handle.db), bus, clock: systemClock, logger: pino({ level: 'silent' }), pollIntervalMs: 60_000 });
    try {
      const reserved = await sql<{ seq: number }>`SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq`.execute(tdb.handle.db);
      const lateSeq = Number(reserved.rows[0]!.seq);
      const sink = new RecordingSink();
      const live = await hub.join(sink, 'agent_1', lateSeq - 1);
      const later = await insertEvent();
      holdNext = true;
      bus.emit({ agentId: 'agent_1', seq: later.seq, type: 'email.received', deliveries: 0 });
      await until('the fetch of the later event to be in flight', () => release !== null);
      // The lower seq commits and is announced while that fetch is still out.
      const late = await insertEvent({ seq: lateSeq });
      bus.emit({ agentId: 'agent_1', seq: late.seq, type: 'email.received', deliveries: 0 });
      release!();
      await sink.until(2, 'both events');
      expect(sink.ids).toEqual([later.id, late.id]);
      live.leave();
    } finally {
      await hub.stop();
    }
  });

  it('closes a live listener that does not read (slowConsumer)', async () => {
    const bus = new ControlledBus();
    const hub = startHub(bus, 50);
    const sink = new RecordingSink();
    try {
      await hub.join(sink, 'agent_1', await new RealtimeRepo(tdb.handle.db).maxSeq('agent_1'));
      sink.bufferedAmount = 64 * 1024 * 1024;
      await insertEvent();
      await until('the slow listener to be closed', () => sink.closedWith !== null);
      expect(sink.closedWith).toBe(4005);
      expect(hub.agentCount).toBe(0);
    } finally {
      await hub.stop();
    }
  });
});
