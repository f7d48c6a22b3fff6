import { describe, expect, it } from 'vitest';
import { createDnsResolver, dnsError, withCache, withTimeout, type Resolver } from './resolver.js';
import { createFakeResolver } from '../testing/fake-resolver.js';

function manualClock(start = 0) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

const zone = { 'example.com': { TXT: ['v=spf1 -all'], MX: [{ exchange: 'mx.example.com', priority: 10 }] } };

describe('fake resolver', () => {
  it('answers like node:dns: TXT as string[][], ENOTFOUND for unknown names, ENODATA for missing types', async () => {
    const r = createFakeResolver(zone);
    expect(await r('example.com', 'TXT')).toEqual([['v=spf1 -all']]);
    expect(await r('EXAMPLE.com.', 'MX')).toEqual([{ exchange: 'mx.example.com', priority: 10 }]);
    await expect(r('nope.example', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r('example.com', 'A')).rejects.toMatchObject({ code: 'ENODATA' });
  });
});

describe('withCache', () => {
  it('reuses a positive answer until the TTL passes', async () => {
    const fake = createFakeResolver(zone);
    const clock = manualClock();
    const r = withCache(fake, { ttlMs: 1000, maxEntries: 10, clock });
    await r('example.com', 'TXT');
    await r('Example.COM', 'txt');
    expect(fake.queries).toEqual(['TXT example.com']);
    clock.advance(1001);
    await r('example.com', 'TXT');
    expect(fake.queries).toHaveLength(2);
  });

  it('caches NXDOMAIN and NODATA, with their codes', async () => {
    const fake = createFakeResolver(zone);
    const r = withCache(fake, { ttlMs: 1000, maxEntries: 10, clock: manualClock() });
    for (let i = 0; i < 2; i++) {
      await expect(r('nope.example', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
      await expect(r('example.com', 'A')).rejects.toMatchObject({ code: 'ENODATA' });
    }
    expect(fake.queries).toEqual(['TXT nope.example', 'A example.com']);
  });

  it('never caches a timeout or a server failure', async () => {
    let calls = 0;
    const flaky: Resolver = async (name) => {
      calls++;
      throw dnsError(calls === 1 ? 'ETIMEOUT' : 'ESERVFAIL', name);
    };
    const r = withCache(flaky, { ttlMs: 1000, maxEntries: 10, clock: manualClock() });
    await expect(r('a.example', 'TXT')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    await expect(r('a.example', 'TXT')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    expect(calls).toBe(2);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const fake = createFakeResolver({ 'a.example': { A: ['1.1.1.1'] }, 'b.example': { A: ['1.1.1.2'] }, 'c.example': { A: ['1.1.1.3'] } });
    const r = withCache(fake, { ttlMs: 1000, maxEntries: 2, clock: manualClock() });
    await r('a.example', 'A');
    await r('b.example', 'A');
    await r('a.example', 'A'); // a is now the most recent
    await r('c.example', 'A'); // evicts b
    await r('a.example', 'A');
    await r('b.example', 'A');
    expect(fake.queries).toEqual(['A a.example', 'A b.example', 'A c.example', 'A b.example']);
  });

  it('hands out copies, so a caller cannot change what the next one reads', async () => {
    const r = withCache(createFakeResolver(zone), { ttlMs: 1000, maxEntries: 10, clock: manualClock() });
    const first = (await r('example.com', 'TXT')) as string[][];
    first[0]![0] = 'tampered';
    expect(await r('example.com', 'TXT')).toEqual([['v=spf1 -all']]);
  });

  it('shares one query between concurrent callers', async () => {
    const fake = createFakeResolver(zone);
    const r = withCache(fake, { ttlMs: 1000, maxEntries: 10, clock: manualClock() });
    await Promise.all([r('example.com', 'TXT'), r('example.com', 'TXT'), r('example.com', 'TXT')]);
    expect(fake.queries).toHaveLength(1);
  });
});

describe('withTimeout', () => {
  it('rejects a query that never answers with code ETIMEOUT', async () => {
    const r = withTimeout(createFakeResolver(zone, { hang: ['example.com'] }), 20);
    await expect(r('example.com', 'TXT')).rejects.toMatchObject({ code: 'ETIMEOUT' });
  });

  it('passes answers and other errors through', async () => {
    const r = withTimeout(createFakeResolver(zone), 1000);
    expect(await r('example.com', 'TXT')).toEqual([['v=spf1 -all']]);
    await expect(r('nope.example', 'TXT')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});

describe('createDnsResolver', () => {
  it('uses the given servers: an unreachable server gives a DNS error code, not a crash', async () => {
    // 127.0.0.1:9 (discard) answers nothing; c-ares reports a timeout or a refusal.
    const r = createDnsResolver({ servers: ['127.0.0.1:9'], timeoutMs: 50, tries: 1 });
    const err = (await r('example.com', 'TXT').catch((e: unknown) => e)) as { code?: string };
    expect(['ETIMEOUT', 'ECONNREFUSED', 'ESERVFAIL']).toContain(err.code);
  });
});
