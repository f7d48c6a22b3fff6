/**
 * Replay for one listener: its own paged reads of unacknowledged events up to the agent's live
 * position, then the switch to live in the same tick in which its cursor reaches that position, so
 * that the agent's next live fetch (everything after `agent.seq`) follows on with no gap or double.
 */
import { frameOf, type Listener } from './listeners.js';
import type { RealtimeRepo } from './repo.js';

export async function replay(listener: Listener, repo: RealtimeRepo, batch: number): Promise<void> {
  const { agent, sink } = listener;
  for (;;) {
    if (listener.closed) return;
    if (listener.restartAt !== null) {
      listener.cursor = listener.restartAt;
      listener.restartAt = null;
    }
    const ceiling = agent.seq;
    const rows = await repo.unacked(agent.id, listener.cursor, ceiling, batch);
    if (listener.closed) return;
    if (listener.restartAt !== null) continue;
    let flushed: Promise<void> = Promise.resolve();
    for (const row of rows) flushed = sink.send(frameOf(row));
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
