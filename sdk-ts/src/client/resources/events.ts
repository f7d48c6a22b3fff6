import type { Event, EventPage, ListEventsQuery, RedeliverResult } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';

export type ListEventsParams = Partial<ListEventsQuery>;

export class EventsResource {
  constructor(private readonly http: HttpClient) {}

  list(params: ListEventsParams = {}): Promise<EventPage> {
    return this.http.request('GET', '/v1/events', { query: params });
  }

  iterate(params: Omit<ListEventsParams, 'cursor'> = {}): AsyncGenerator<Event> {
    return paginate((cursor) => this.list({ ...params, cursor }));
  }

  get(id: string): Promise<Event> {
    return this.http.request('GET', `/v1/events/${encodeURIComponent(id)}`);
  }

  /** Send the event again to its webhooks, with the same event id. */
  redeliver(id: string): Promise<RedeliverResult> {
    return this.http.request('POST', `/v1/events/${encodeURIComponent(id)}/redeliver`);
  }
}
