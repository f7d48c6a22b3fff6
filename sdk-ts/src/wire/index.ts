/**
 * The wire contract: request, response and event shapes, defined once with zod. The server
 * validates with these and generates its OpenAPI document from them; the SDK types come from them.
 */
export * from './primitives.js';
export * from './errors.js';
export * from './authentication.js';
export * from './agents.js';
export * from './retention.js';
export * from './messages.js';
export * from './search.js';
export * from './events.js';
export * from './info.js';
export * from './api-keys.js';
export * from './claims-key.js';
export * from './webhooks.js';
export * from './realtime.js';
export * from './send.js';
export * from './drafts.js';
export * from './protection.js';
export * from './cards.js';
export * from './contacts.js';
export * from './lists.js';
export * from './reviews.js';
export * from './domains.js';
export * from './conversations.js';
export * from './labels.js';
export * from './outbox.js';
export * from './dashboard-sessions.js';
export * from './exports.js';
export * from './erasures.js';
