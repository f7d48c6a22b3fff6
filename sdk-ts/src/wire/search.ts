/**
 * GET /v1/search: full-text search over every mailbox a key may read (docs/SEARCH.md). The same
 * words, filters and answers as `GET /v1/agents/{address}/messages?q=…`, across agents.
 */
import { z } from 'zod';
import { ListMessagesQuery, MessageSummary, SearchMatch, SearchText } from './messages.js';
import { page } from './primitives.js';

/** A message a search found: its summary (`agent_address` names the mailbox) and where it matched. */
export const SearchHit = MessageSummary.extend({ match: SearchMatch }).meta({ id: 'SearchHit' });
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchPage = page(SearchHit).meta({ id: 'SearchPage' });
export type SearchPage = z.infer<typeof SearchPage>;

/** `q` and the message list's filters; labels belong to one agent, so `label` is the mailbox search's only. */
export const SearchQuery = ListMessagesQuery.omit({ label: true }).extend({ q: SearchText });
export type SearchQuery = z.infer<typeof SearchQuery>;
