import type { ApproveReviewRequest, ListReviewsQuery, Review, ReviewCount, ReviewPage } from '../../wire/index.js';
import type { HttpClient } from '../http.js';

/** Human review of held mail. Needs an account key: agent keys cannot see or decide reviews. */
export class ReviewsResource {
  constructor(private readonly http: HttpClient) {}

  list(params: Partial<ListReviewsQuery> = {}): Promise<ReviewPage> {
    return this.http.request('GET', '/v1/reviews', { query: params });
  }

  /** How many reviews are pending, without listing them (a queue's header). */
  count(): Promise<ReviewCount> {
    return this.http.request('GET', '/v1/reviews/count');
  }

  get(id: string): Promise<Review> {
    return this.http.request('GET', `/v1/reviews/${encodeURIComponent(id)}`);
  }

  /** Optional edits change an outbound message before it leaves. */
  approve(id: string, edits: ApproveReviewRequest = {}): Promise<Review> {
    return this.http.request('POST', `/v1/reviews/${encodeURIComponent(id)}/approve`, { body: edits });
  }

  reject(id: string, reason = ''): Promise<Review> {
    return this.http.request('POST', `/v1/reviews/${encodeURIComponent(id)}/reject`, { body: { reason } });
  }
}
