import { createFakeResolver } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';

describe.each(ENGINES)('health endpoints (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
  });
  afterAll(() => gw?.close());

  it.each(['/livez', '/healthz', '/readyz', '/api/health'])('%s answers ok without a key', async (path) => {
    const res = await gw.api(path, { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it.each(['/livez?_=1712345678', '/healthz?cachebust=x&y=2', '/readyz?t=1', '/api/health?nocache'])('%s ignores unknown query parameters', async (path) => {
    expect((await gw.api(path, { key: null })).status).toBe(200);
  });

  it('keeps every other route strict about its query', async () => {
    const res = await gw.api('/v1/agents?cachebust=1');
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('cachebust');
  });
});
