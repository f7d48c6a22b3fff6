/**
 * Who sees an agent's card (docs/SECURITY.md "Who sees what"). The card of an agent the principal
 * may open (AgentsService.resolve: an account key, its user's agents; an agent key, its own agent)
 * shows whatever its visibility; any other agent's card shows only when it is `public`. The
 * directory applies the same rule in SQL (`visibleCards`); single lookups go through
 * CardsService.get, which asks resolve first and falls back to the public card.
 *
 * An agent key therefore finds its own card and public ones, not the `account` cards of its
 * siblings: like GET /v1/agents, which lists only its own agent, an agent key does not learn its
 * account's roster, and a model driven by one (possibly prompt-injected) cannot map it.
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Principal } from '../accounts/principal.js';

/** The predicate over `agent_cards as c` joined with `agents as a`. */
export function visibleCards(principal: Principal): Expression<SqlBool> {
  const own =
    principal.scope === 'agent'
      ? sql<SqlBool>`(a.user_id = ${principal.userId} and a.id = ${principal.agentId ?? ''})`
      : sql<SqlBool>`a.user_id = ${principal.userId}`;
  return sql<SqlBool>`(${own} or c.visibility = 'public')`;
}
