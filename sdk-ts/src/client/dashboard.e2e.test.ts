/** The SDK's dashboard sign-in calls against a live gateway: links, sign-in by email, sessions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2A, NotFoundError } from '../index.js';
import { startLiveServer, type LiveServer } from '../testing/live-server.js';

let server: LiveServer;
let e2a: E2A;

beforeAll(async () => {
  server = await startLiveServer();
  e2a = new E2A({ apiKey: server.apiKey, baseUrl: server.baseUrl, maxRetries: 0 });
});
afterAll(() => server?.stop());

describe('dashboard sign-in through the SDK', () => {
  it('makes a sign-in link, lists the session it opens, and ends it', async () => {
    const link = await e2a.signInLinks.create();
    expect(link.url).toMatch(/\/sign-in\/[\w-]+$/);
    const opened = await fetch(`${server.baseUrl}${new URL(link.url).pathname}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    const { items } = await e2a.sessions.list();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ current: false });
    await e2a.sessions.revoke(items[0]!.id);
    await expect(e2a.sessions.revoke(items[0]!.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await e2a.sessions.list()).items).toEqual([]);
    await e2a.sessions.revokeAll();
  });

  it('asks for a link by email without a key', async () => {
    const anonymous = new E2A({ apiKey: 'e2a_unused', baseUrl: server.baseUrl, maxRetries: 0 });
    expect(await anonymous.signInLinks.email('nobody@example.org')).toEqual({ message: expect.stringContaining('sign-in link') });
  });
});
