/**
 * Statement counts and round-trip times as the gateway sees them, for PostgreSQL runs: pg's
 * Client#query is wrapped (in this process only; nothing under api/ changes), and each statement is
 * keyed by its first words, so a phase can say "N claim queries per delivery, M ms each".
 * The overhead is one performance.now() and a Map update per statement.
 */
import pg from 'pg';

export interface StatementStat {
  statement: string;
  count: number;
  meanMs: number;
  maxMs: number;
  totalMs: number;
}

const stats = new Map<string, { count: number; totalMs: number; maxMs: number }>();
let installed = false;

export function installSqlStats(): void {
  if (installed) return;
  installed = true;
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '');
    const started = performance.now();
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      const done = () => {
        const key = keyOf(text);
        const s = stats.get(key) ?? { count: 0, totalMs: 0, maxMs: 0 };
        const ms = performance.now() - started;
        s.count++;
        s.totalMs += ms;
        s.maxMs = Math.max(s.maxMs, ms);
        stats.set(key, s);
      };
      (result as Promise<unknown>).then(done, done);
    }
    return result;
  };
}

const keys = new Map<string, string>();

/** The statement's first words, whitespace collapsed, quoted identifiers unquoted (memoised). */
function keyOf(text: string): string {
  let key = keys.get(text);
  if (key === undefined) {
    key = text.replace(/\s+/g, ' ').replace(/"/g, '').trim().slice(0, 90);
    if (keys.size < 10_000) keys.set(text, key);
  }
  return key;
}

/** Everything since the previous call, most frequent first. */
export function takeSqlStats(): StatementStat[] {
  const out = [...stats].map(([statement, s]) => ({ statement, count: s.count, totalMs: Math.round(s.totalMs * 10) / 10, meanMs: Math.round((s.totalMs / s.count) * 100) / 100, maxMs: Math.round(s.maxMs * 10) / 10 }));
  stats.clear();
  return out.sort((a, b) => b.count - a.count);
}
