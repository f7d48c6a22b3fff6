/**
 * Statements whose text never changes, only their values, compiled by kysely once per shape rather
 * than once per call. Building and compiling a query tree is kysely's whole cost, and for the
 * inbound copy (a CTE of five writes) it was a measurable share of the CPU every message took
 * (docs/PERFORMANCE.md, "Inbound").
 *
 * The query is built once with a placeholder object in place of each value; the compiled parameter
 * list then says which placeholder went where, and each call fills the same positions with its own
 * values. kysely offers no prepared-template API of its own, hence this; everything else (the SQL
 * text, casts, the order of parameters) stays kysely's.
 */
import { CompiledQuery, type Compilable } from 'kysely';
import type { Database } from './database.js';

class Slot {
  constructor(readonly name: string) {}
}

/** Stand-ins for the values of one call, to build the query with. */
export type Slots<V> = { readonly [K in keyof V]: V[K] };

/**
 * `build` receives stand-ins for `values`' fields (use them where the values would go; a stand-in is
 * opaque, so a value that the query takes apart must be its own fields) and returns the query. `shape` names what changes the SQL text itself (which CTEs exist, which columns an
 * insert names); each shape is compiled once.
 */
export function compiledOnce<V extends Record<string, unknown>>(build: (slots: Slots<V>, shape: string, db: Database) => Compilable) {
  const templates = new Map<string, { sql: string; parameters: unknown[] }>();
  return (db: Database, shape: string, values: V): Promise<{ rows: unknown[] }> => {
    let template = templates.get(shape);
    if (!template) {
      const slots = new Proxy({} as Slots<V>, { get: (_target, name) => new Slot(String(name)) });
      // Any handle compiles the same text: the caller's builds it, and it runs on each caller's own.
      const compiled = build(slots, shape, db).compile();
      template = { sql: compiled.sql, parameters: [...compiled.parameters] };
      templates.set(shape, template);
    }
    const parameters = template.parameters.map((p) => (p instanceof Slot ? values[p.name] : p));
    return db.executeQuery(CompiledQuery.raw(template.sql, parameters));
  };
}
