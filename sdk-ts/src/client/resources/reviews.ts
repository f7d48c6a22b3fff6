import type { Review, REVIEW_STATUSES } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import type { Page } from '../pagination.js';

export interface ApproveEdits {
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  text?: string;
  html?: string;
  note?: string;
}

/** Human review of held mail. Needs an account key: agent keys cannot see or decide reviews. */
export class ReviewsResource {
  constructor(private readonly http: HttpClient) {}

  list(params: { status?: (typeof REVIEW_STATUSES)[number]; agent_address?: string; limit?: number; cursor?: string } = {}): Promise<Page<Review>> {
    return this.http.request('GET', '/v1/reviews', { query: { ...params } });
  }

  get(id: string): Promise<Review> {
    return this.http.request('GET', `/v1/reviews/${encodeURIComponent(id)}`);
  }

  approve(id: string, edits: ApproveEdits = {}): Promise<Review> {
    return this.http.request('POST', `/v1/reviews/${encodeURIComponent(id)}/approve`, { body: edits });
  }

  reject(id: string, reason = ''): Promise<Review> {
    return this.http.request('POST', `/v1/reviews/${encodeURIComponent(id)}/reject`, { body: { reason } });
  }
}
