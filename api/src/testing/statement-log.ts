/**
 * A kysely plugin that records the SQL of every statement that succeeds through the handle it is
 * attached to (`db.withPlugin(log)`), so a test can state how many round trips an operation costs.
 */
import { PostgresQueryCompiler, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryId, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';

export class StatementLog implements KyselyPlugin {
  /** SQL of the executed statements, oldest first. */
  readonly statements: string[] = [];
  private readonly compiler = new PostgresQueryCompiler();
  // Subqueries pass through transformQuery too, but only a statement sent to the server reaches
  // transformResult: the SQL is noted by query id and recorded there.
  private readonly pending = new WeakMap<QueryId, string>();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.pending.set(args.queryId, this.compiler.compileQuery(args.node, args.queryId).sql);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.statements.push(this.pending.get(args.queryId) ?? '(unknown)');
    return args.result;
  }

  /** Forget what was recorded so far. */
  clear(): void {
    this.statements.length = 0;
  }
}
