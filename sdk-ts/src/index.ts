/**
 * @e2a/sdk — the e2a client library. Wire types, auth-claim verification.
 */
export * from './wire/index.js';
export * from './signing/auth-claims.js';
export { AUTH_CLAIM_VECTOR } from './signing/vectors.js';
