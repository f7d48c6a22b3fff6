/**
 * Preloaded (`node --import`) into a server process that `bench listeners` measures, so that the
 * server itself carries no bench code: the gateway runs as `e2a-server serve` from api/dist, as in
 * production. Answers the parent's IPC requests for memory figures after forced full collections and
 * for heap snapshots; other messages are left to the process's own handlers.
 */
import { writeHeapSnapshot } from 'node:v8';
import { forceGc } from './gc.js';

export interface ServerMemory {
  rss: number;
  heapUsed: number;
  /** The heap's committed size: pages V8 holds, used or not, which RSS counts. */
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gcForced: boolean;
}

export type ProbeCommand = { type: 'memory' } | { type: 'snapshot'; file: string };
export type ProbeEvent = ({ type: 'memory' } & ServerMemory) | { type: 'snapshot'; file: string };

/** Full collections twice with a pause between, so garbage from connecting is not counted. */
async function memory(): Promise<ServerMemory> {
  const gcForced = forceGc();
  forceGc();
  await new Promise((r) => setTimeout(r, 300));
  forceGc();
  forceGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, gcForced };
}

function emit(event: ProbeEvent): void {
  process.send?.(event);
}

process.on('message', (cmd: { type?: string; file?: string }) => {
  if (cmd.type === 'memory') void memory().then((m) => emit({ type: 'memory', ...m }));
  else if (cmd.type === 'snapshot') {
    forceGc();
    emit({ type: 'snapshot', file: writeHeapSnapshot(cmd.file) });
  }
});
