/**
 * Shared fakes for tests of relay and api (`@e2a/relay/testing`). Never imported by production code.
 */
export type { Zone, ZoneRecords, FakeResolver, FakeResolverOptions } from './fake-resolver.js';
export { createFakeResolver } from './fake-resolver.js';
export type { DkimKey } from './dkim.js';
export { generateDkimKey, signMessage } from './dkim.js';
export type { MessageSpec } from './messages.js';
export { MALFORMED, buildMessage } from './messages.js';
export type { MemoryBudget, MemoryDirectory, MemorySink } from './fake-ports.js';
export { ROOMY_SESSION_LIMITS, createMemoryBudget, createMemoryDirectory, createMemorySink, createTestLogger } from './fake-ports.js';
export type { Reply, SendResult } from './smtp-client.js';
export { SmtpTestClient } from './smtp-client.js';
export type { TestDnsServer } from './dns-server.js';
export { startDnsServer } from './dns-server.js';
export type { TestCertificate } from './test-certificate.js';
export { makeTestCertificate } from './test-certificate.js';
export type { StartTlsDelivery, StartTlsProbe } from './starttls-client.js';
export { deliverOverStartTls, probeStartTls } from './starttls-client.js';
export type { PathologicalAnswer, PathologicalItem } from './pathological.js';
export { LARGE_HTML, PATHOLOGICAL } from './pathological.js';
export { cpuMsBestOf3 } from './cpu-time.js';
