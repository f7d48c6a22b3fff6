import { Event, EventPage, ListEventsQuery, RedeliverResult } from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { EventsService } from './service.js';

export function eventRoutes(routes: RouteTable, events: EventsService): void {
  routes.add(
    { method: 'get', path: '/v1/events', operationId: 'events.list', summary: 'List events, newest first', tag: 'events', query: ListEventsQuery, response: EventPage },
    ({ principal, query }) => events.list(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/events/:id', operationId: 'events.get', summary: 'Get an event', tag: 'events', response: Event },
    ({ principal, params }) => events.get(principal, params.id!),
  );
  routes.add(
    { method: 'post', path: '/v1/events/:id/redeliver', operationId: 'events.redeliver', summary: 'Replay an event (same id) to the matching webhooks', tag: 'events', response: RedeliverResult, status: 202 },
    ({ principal, params }) => events.redeliver(principal, params.id!),
  );
}
