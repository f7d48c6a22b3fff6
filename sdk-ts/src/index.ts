/**
 * @e2a/sdk — the e2a client library. Wire types, auth-claim verification.
 */
export * from './wire/index.js';
export * from './signing/auth-claims.js';
export { AUTH_CLAIM_VECTOR } from './signing/vectors.js';
export { E2A, type E2AOptions } from './client/client.js';
export * from './client/errors.js';
export { paginate, type Page } from './client/pagination.js';
export * from './signing/webhooks.js';
