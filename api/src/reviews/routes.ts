import { ApproveReviewRequest, ListReviewsQuery, RejectReviewRequest, Review, ReviewCount, ReviewPage } from '@e2a/sdk/wire';
import { RawBody, type RouteTable } from '../http/route.js';
import type { MagicLinks } from './magic-links.js';
import { PAGE_HEADERS, renderPage } from './pages.js';
import type { ReviewsService } from './service.js';

export function reviewRoutes(routes: RouteTable, reviews: ReviewsService, links: MagicLinks): void {
  routes.add(
    { method: 'get', path: '/v1/reviews', operationId: 'reviews.list', summary: 'List reviews (account keys only)', tag: 'reviews', query: ListReviewsQuery, response: ReviewPage },
    ({ principal, query }) => reviews.list(principal, query),
  );
  // Before /v1/reviews/:id, which would otherwise take "count" for an id.
  routes.add(
    { method: 'get', path: '/v1/reviews/count', operationId: 'reviews.count', summary: 'Count the pending reviews (account keys only)', tag: 'reviews', response: ReviewCount },
    ({ principal }) => reviews.count(principal),
  );
  routes.add(
    { method: 'get', path: '/v1/reviews/:id', operationId: 'reviews.get', summary: 'Get a review with the message text (account keys only)', tag: 'reviews', response: Review },
    ({ principal, params }) => reviews.get(principal, params.id!),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/reviews/:id/approve',
      operationId: 'reviews.approve',
      errors: ['conflict'],
      summary: 'Approve a held message, optionally editing recipients, subject and bodies (outbound only)',
      tag: 'reviews',
      body: ApproveReviewRequest,
      response: Review,
    },
    ({ principal, params, body }) => reviews.approve(principal, params.id!, body),
  );
  routes.add(
    { method: 'post', path: '/v1/reviews/:id/reject', operationId: 'reviews.reject', errors: ['conflict'], summary: 'Reject a held message', tag: 'reviews', body: RejectReviewRequest, response: Review },
    ({ principal, params, body }) => reviews.reject(principal, params.id!, body.reason),
  );

  const html = (page: Parameters<typeof renderPage>[0]) => new RawBody(Buffer.from(renderPage(page), 'utf8'), 'text/html; charset=utf-8', { ...PAGE_HEADERS });
  routes.add(
    { method: 'get', path: '/review/:token', operationId: 'reviewLinks.view', summary: 'Magic-link confirmation page (never acts)', tag: 'reviews', auth: 'none', produces: 'text/html', limit: 'review_link' },
    async ({ params }) => html(await links.view(params.token!)),
  );
  routes.add(
    { method: 'post', path: '/review/:token', operationId: 'reviewLinks.act', summary: 'Magic-link action: uses the token once and approves or rejects', tag: 'reviews', auth: 'none', produces: 'text/html', limit: 'review_link' },
    async ({ params }) => html(await links.act(params.token!)),
  );
}
