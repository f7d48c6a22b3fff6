/**
 * Named prepared statements on PostgreSQL connections. node-postgres sends every parameterised query
 * as an unnamed statement, so PostgreSQL parses, analyses and plans its text on every execution:
 * measured, that was ~30% of PostgreSQL's CPU per outbound send (1.7 → 1.2 ms with names). Naming a
 * statement lets the server keep its parse tree and plan for the life of the connection.
 *
 * - Only queries with parameters are named. A query without parameters goes over the simple query
 *   protocol, the only one that runs several statements in one text (the migrator relies on it).
 * - Each connection names at most `limit` distinct texts; later texts run unnamed. Statements are
 *   never deallocated, so the cap also bounds what the server holds per backend (texts built with
 *   variable IN-lists would otherwise grow it without end).
 * - A schema change made elsewhere (a replica migrating while this one runs) can leave a statement
 *   unusable: `select *` then fails with SQLSTATE 0A000 "cached plan must not change result type".
 *   So can a statement the server no longer holds (26000: pg closes a statement whose parameters
 *   failed to serialise, or someone ran DEALLOCATE). Both fail before the statement runs; the text
 *   is then given a fresh name on its next use, and the query is retried once unnamed, unless it
 *   was inside a transaction block, which the error has aborted: that error goes to the caller,
 *   whose transaction fails as it would on any error.
 *
 * Behind PgBouncer in transaction pooling mode, named statements need max_prepared_statements set.
 */
import pg from 'pg';

/** Per connection: with the default pool of 10, at most 2,000 cached plans per replica. */
export const PREPARED_STATEMENT_LIMIT = 200;

/** SQLSTATEs meaning the named statement, not the query, is at fault: nothing ran. */
const STALE_STATEMENT = new Set([
  '0A000', // feature_not_supported: "cached plan must not change result type"
  '26000', // invalid_sql_statement_name: "prepared statement … does not exist"
]);

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * Makes `client.query(text, values)` with a non-empty `values` array run as a named prepared
 * statement. Every other form of `query` (no parameters, callbacks, config objects, cursors) is
 * passed through unchanged. Call once per connection, e.g. from the pool's 'connect' event.
 */
export function preparedStatements(client: pg.Client, limit = PREPARED_STATEMENT_LIMIT): void {
  const send = client.query.bind(client);
  const names = new Map<string, string>();
  let issued = 0;

  const nameFor = (text: string): string | null => {
    const known = names.get(text);
    if (known !== undefined || issued >= limit) return known ?? null;
    const name = `e2a_${issued++}`;
    names.set(text, name);
    return name;
  };

  // pg remembers which names it has parsed on the connection and skips Parse for them; a stale
  // name must leave that record too. It is pg's internal state: without it, assume parsed.
  const parsed = (): Record<string, string> | undefined =>
    (client.connection as pg.Connection & { parsedStatements?: Record<string, string> }).parsedStatements;

  const isStale = (err: unknown, name: string): boolean => {
    if (!(err instanceof pg.DatabaseError) || err.code === undefined || !STALE_STATEMENT.has(err.code)) return false;
    // A Parse that failed (a genuinely unsupported query) created nothing: the name stays good.
    const record = parsed();
    return record === undefined || record[name] !== undefined;
  };

  const named = async (text: string, values: unknown[]): Promise<pg.QueryResult> => {
    const name = nameFor(text);
    if (name === null) return send(text, values);
    try {
      return await send({ name, text, values });
    } catch (err) {
      if (!isStale(err, name)) throw err;
      names.delete(text);
      const record = parsed();
      if (record) delete record[name];
      // 'I' (before or after pg reads the ReadyForQuery that follows the error): the query was its
      // own implicit transaction, now rolled back. 'T' or 'E': an explicit transaction block,
      // aborted by the error, where a retry could only fail.
      if (client.getTransactionStatus() !== 'I') throw err;
      return send(text, values);
    }
  };

  const passThrough = send as QueryFunction;
  const query: QueryFunction = (...args) => {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      return named(text, values);
    }
    return passThrough(...args);
  };
  client.query = query as typeof client.query;
}
