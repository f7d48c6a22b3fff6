/**
 * @e2a/sdk — the e2a client library: API client, listen(), webhook and auth-claim verification,
 * formatForModel(), and the wire types shared with the server.
 */
export * from './wire/index.js';
export * from './signing/auth-claims.js';
export { AUTH_CLAIM_VECTOR } from './signing/vectors.js';
export { E2A, type E2AOptions } from './client/client.js';
export * from './client/errors.js';
export { paginate, type Page } from './client/pagination.js';
export * from './signing/webhooks.js';
export { constructEvent, signTestWebhook } from './signing/construct-event.js';
export { formatForModel, trustLevel, type FormatOptions, type TrustLevel } from './format-for-model.js';
export { ListenClosedError, ListenRevokedError, type EventStream, type ListenOptions } from './client/listen.js';
