import { AgentCard, AgentCardInput, DirectoryPage, DirectoryQuery, PublicAgentCard } from '@e2a/sdk/wire';
import { JsonReply, type RouteTable } from '../http/route.js';
import type { CardsService } from './service.js';

/** The well-known document is public and small: caches may keep it briefly, and any web page may read it. */
const WELL_KNOWN_HEADERS = { 'Cache-Control': 'public, max-age=60', 'Access-Control-Allow-Origin': '*' };

export function cardRoutes(routes: RouteTable, cards: CardsService): void {
  routes.add(
    { method: 'get', path: '/v1/agents/:address/card', operationId: 'cards.get', summary: "An agent's capability card (its account's keys; anyone's key for a public card)", tag: 'cards', response: AgentCard },
    ({ principal, params }) => cards.get(principal, params.address!),
  );
  routes.add(
    {
      method: 'put',
      path: '/v1/agents/:address/card',
      operationId: 'cards.put',
      summary: "Publish or replace an agent's card (omitted fields take their defaults; visibility, if omitted, stays; only account keys change it)",
      tag: 'cards',
      body: AgentCardInput,
      response: AgentCard,
    },
    ({ principal, params, body }) => cards.put(principal, params.address!, body),
  );
  routes.add(
    { method: 'delete', path: '/v1/agents/:address/card', operationId: 'cards.delete', summary: "Withdraw an agent's card", tag: 'cards' },
    ({ principal, params }) => cards.delete(principal, params.address!),
  );
  routes.add(
    {
      method: 'get',
      path: '/v1/directory',
      operationId: 'directory.search',
      summary: "Search agent cards: your account's, and other accounts' public ones; ranked by relevance",
      tag: 'cards',
      query: DirectoryQuery,
      response: DirectoryPage,
    },
    ({ principal, query }) => cards.search(principal, query),
  );
  routes.add(
    {
      method: 'get',
      path: '/.well-known/e2a/agents/:address.json',
      operationId: 'cards.wellKnown',
      summary: "An agent's public card, without a key (404 alike for no agent and a card that is not public)",
      tag: 'cards',
      auth: 'none',
      response: PublicAgentCard,
    },
    async ({ params }) => new JsonReply(200, await cards.wellKnown(params.address!), WELL_KNOWN_HEADERS),
  );
}
