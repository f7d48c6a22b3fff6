/**
 * Replay for one listener: its own paged reads of unacknowledged events up to the agent's live
 * position, then the switch to live in the same tick in which its cursor reaches that position, so
 * that the agent's next live fetch (everything after `agent.seq`) follows on with no gap or double.
 *
 * Urgent mail first (docs/PRIORITIES.md): each replay, on connect and again after a resume, first
 * sends the unacknowledged events about urgent messages up to the agent's position at that moment,
 * in seq order, then pages through the whole backlog in seq order passing over the ones already
 * sent. Only the second pass moves the cursor, so resume positions and the switch to live mean what
 * they meant before.
 */
import { frameOf, type Listener } from './listeners.js';
import type { RealtimeRepo } from './repo.js';

export async function replay(listener: Listener, repo: RealtimeRepo, batch: number): Promise<void> {
  const { agent, sink } = listener;
  /** Seqs the urgent pass sent ahead of their turn; null until it has run from the current start. */
  let early: Set<number> | null = null;
  for (;;) {
    if (listener.closed) return;
    if (listener.restartAt !== null) {
      listener.cursor = listener.restartAt;
      listener.restartAt = null;
      early = null;
    }
    if (early === null) {
      // null again when a close or a resume cut the pass short: the checks above deal with both.
      early = await urgentFirst(listener, repo, batch);
      continue;
    }
    const ceiling = agent.seq;
    const rows = await repo.unacked(agent.id, listener.cursor, ceiling, batch);
    if (listener.closed) return;
    if (listener.restartAt !== null) continue;
    let flushed: Promise<void> = Promise.resolve();
    for (const row of rows) {
      if (early.delete(row.seq)) continue;
      flushed = sink.send(frameOf(row));
      // Only the page's last send is awaited; one that fails because the listener closed meanwhile
      // (revoked mid-replay) must not be an unhandled rejection: the loop sees `closed` next.
      flushed.catch(() => {});
    }
    if (rows.length > 0) listener.cursor = Math.max(listener.cursor, rows[rows.length - 1]!.seq);
    if (rows.length < batch) {
      // Everything up to the ceiling has been read. If no live fetch moved the agent on meanwhile,
      // go live now, synchronously, so the next live fetch (all seqs > agent.seq) follows on.
      listener.cursor = Math.max(listener.cursor, ceiling);
      if (agent.seq === ceiling) {
        listener.live = true;
        return;
      }
      continue;
    }
    // Backpressure: one page in flight; a slow reader slows its own replay, nobody else's.
    await flushed;
  }
}

/**
 * The urgent pass: the unacknowledged urgent events after the cursor, up to the agent's position
 * now, paged like the rest. Returns their seqs, or null if the listener closed or resumed meanwhile.
 */
async function urgentFirst(listener: Listener, repo: RealtimeRepo, batch: number): Promise<Set<number> | null> {
  const { agent, sink } = listener;
  const sent = new Set<number>();
  const ceiling = agent.seq;
  let after = listener.cursor;
  for (;;) {
    const rows = await repo.unacked(agent.id, after, ceiling, batch, true);
    if (listener.closed || listener.restartAt !== null) return null;
    let flushed: Promise<void> = Promise.resolve();
    for (const row of rows) {
      flushed = sink.send(frameOf(row));
      flushed.catch(() => {}); // as in replay(): a send cut short by a close is not an unhandled rejection
      sent.add(row.seq);
    }
    if (rows.length < batch) return sent;
    after = rows[rows.length - 1]!.seq;
    await flushed;
    if (listener.closed || listener.restartAt !== null) return null;
  }
}
