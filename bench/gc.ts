/**
 * A forced full GC without asking the user for `node --expose-gc`: `npm run bench` starts us through
 * tsx, which has no place for node flags. V8 reads the flag at run time, and a fresh context then
 * has `gc` on its global. Used only to take memory baselines.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = (globalThis as { gc?: () => void }).gc ?? null;
if (!gc) {
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    gc = null;
  }
}

/** Runs a full collection; false when this V8 would not expose one. */
export function forceGc(): boolean {
  if (!gc) return false;
  gc();
  return true;
}
