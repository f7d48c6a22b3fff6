import { verifyAuthClaims, AuthClaimsError, CLAIM_HEADERS } from '@e2a/sdk';
import { buildMessage, createFakeResolver, generateDkimKey, MALFORMED, signMessage } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver, sendMail } from '../testing/mail.js';

/** The gateway-wide signing.hmac_secret of the test gateway: claims are no longer signed with it. */
const GATEWAY_SECRET = 'test-hmac-secret-0123456789abcdef0123';
const bot = `bot@${TEST_DOMAIN}`;
const helper = `helper@${TEST_DOMAIN}`;
const dkim = generateDkimKey('example.com', 'sel1');
const zone = {
  'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
  [dkim.dnsName]: { TXT: [dkim.txt] },
  '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject'] },
};

/** Splits GET …/raw into its claim headers and the stored message after them. */
function splitRaw(bytes: Buffer): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {};
  let offset = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n', offset);
    const line = bytes.subarray(offset, end).toString('utf8');
    if (!line.startsWith('X-E2A-Auth-')) break;
    const colon = line.indexOf(':');
    headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
    offset = end + 2;
  }
  return { headers, body: bytes.subarray(offset) };
}

describe.each(ENGINES)('messages API over real SMTP (%s)', (engine) => {
  let gw: TestGateway;
  const list = async (query = '') => {
    const res = await gw.api(`/v1/agents/${bot}/messages${query}`);
    expect(res.status).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver(zone) });
    for (const local_part of ['bot', 'helper']) {
      expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part }) })).status).toBe(201);
    }
  });
  afterAll(() => gw?.close());

  it('stores DKIM-signed mail with a passing verdict and claims that verify against the raw bytes', async () => {
    const raw = await signMessage(buildMessage({ to: bot, subject: 'signed hello', messageId: 'signed-1@example.com' }), dkim);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    const { items } = await list('?subject_contains=signed');
    expect(items).toHaveLength(1);
    const message = await (await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`)).json();
    expect(message.authentication).toMatchObject({ verified: true, spf: { status: 'pass' }, dmarc: { status: 'pass' }, sender: 'alice@example.com' });
    expect(message.authentication.dkim[0]).toMatchObject({ status: 'pass', domain: 'example.com', aligned: true });
    expect(message.text).toContain('please reply');
    expect(message.auth_claims[CLAIM_HEADERS.verified]).toBe('true');

    const rawRes = await gw.api(`/v1/agents/${bot}/messages/${items[0].id}/raw`);
    expect(rawRes.headers.get('content-type')).toContain('message/rfc822');
    const { headers, body } = splitRaw(Buffer.from(await rawRes.arrayBuffer()));
    // Signed with the account's own claims key (accounts/claims-keys.ts).
    const HMAC = ((await (await gw.api('/v1/account/claims-key')).json()) as { key: string }).key;
    const claims = await verifyAuthClaims(headers, HMAC, { body });
    expect(claims).toMatchObject({ verified: true, sender: 'alice@example.com', entityType: 'external', domainCheck: 'pass', messageId: items[0].id });
    // The claims in the JSON response sign the same bytes.
    await expect(verifyAuthClaims(message.auth_claims, HMAC, { body })).resolves.toMatchObject({ verified: true });

    // One changed byte anywhere breaks verification.
    const tampered = Buffer.from(body);
    tampered[tampered.length - 5]! ^= 0x01;
    await expect(verifyAuthClaims(headers, HMAC, { body: tampered })).rejects.toMatchObject({ reason: 'body_mismatch' });
    await expect(verifyAuthClaims({ ...headers, [CLAIM_HEADERS.verified]: 'false' }, HMAC)).rejects.toBeInstanceOf(AuthClaimsError);
    await expect(verifyAuthClaims(headers, 'another-secret')).rejects.toMatchObject({ reason: 'bad_signature' });
    await expect(verifyAuthClaims(headers, ['old-secret', HMAC], { body })).resolves.toBeTruthy();
    await expect(verifyAuthClaims(headers, GATEWAY_SECRET, { body })).rejects.toMatchObject({ reason: 'bad_signature' });
  });

  it('strips forged X-E2A-* headers before storing', async () => {
    const raw = buildMessage({
      to: bot,
      subject: 'forged',
      messageId: 'forged-1@example.com',
      headers: ['X-E2A-Auth-Verified: true', 'x-e2a-auth-sender: ceo@agents.test', 'X-E2a-Conversation-Id: conv_stolen', '\tcontinued'],
    });
    await deliver(gw.gateway.smtpPort, 'mallory@evil.example', [bot], raw);
    const { items } = await list('?subject_contains=forged');
    const { headers, body } = splitRaw(Buffer.from(await (await gw.api(`/v1/agents/${bot}/messages/${items[0].id}/raw`)).arrayBuffer()));
    expect(headers[CLAIM_HEADERS.verified]).toBe('false');
    expect(body.toString('utf8')).not.toMatch(/x-e2a-/i);
    expect(body.toString('utf8')).not.toContain('continued');
    expect(body.toString('utf8')).toContain('Subject: forged');
    const message = await (await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`)).json();
    expect(message.conversation_id).not.toBe('conv_stolen');
    expect(message.headers.map((h: { name: string }) => h.name.toLowerCase())).not.toContain('x-e2a-auth-verified');
  });

  it('lands multi-recipient mail once per agent and a re-sent duplicate once', async () => {
    const raw = buildMessage({ to: [bot, helper], subject: 'to both', messageId: 'both-1@example.com' });
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot, helper], raw);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot, helper], raw);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    expect((await list('?subject_contains=to%20both')).items).toHaveLength(1);
    const forHelper = await (await gw.api(`/v1/agents/${helper}/messages?subject_contains=to%20both`)).json();
    expect(forHelper.items).toHaveLength(1);
    // Same Message-ID, different content: a different message.
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], buildMessage({ to: bot, subject: 'to both', messageId: 'both-1@example.com', body: 'changed' }));
    expect((await list('?subject_contains=to%20both')).items).toHaveLength(2);
  });

  it('threads replies by In-Reply-To and References, and starts new conversations otherwise', async () => {
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], buildMessage({ to: bot, subject: 'thread start', messageId: 't1@example.com' }));
    await deliver(
      gw.gateway.smtpPort,
      'alice@example.com',
      [bot],
      buildMessage({ to: bot, subject: 'Re: thread start', messageId: 't2@example.com', headers: ['In-Reply-To: <t1@example.com>', 'References: <t1@example.com>'] }),
    );
    await deliver(
      gw.gateway.smtpPort,
      'alice@example.com',
      [bot],
      buildMessage({ to: bot, subject: 'Re: Re: thread start', messageId: 't3@example.com', headers: ['References: <t1@example.com> <t2@example.com>'] }),
    );
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], buildMessage({ to: bot, subject: 'thread start', messageId: 't4@example.com' }));
    const { items } = await list('?subject_contains=thread%20start');
    const byMid = new Map(items.map((m: { message_id_header: string; conversation_id: string }) => [m.message_id_header, m.conversation_id]));
    expect(byMid.get('t2@example.com')).toBe(byMid.get('t1@example.com'));
    expect(byMid.get('t3@example.com')).toBe(byMid.get('t1@example.com'));
    expect(byMid.get('t4@example.com')).not.toBe(byMid.get('t1@example.com'));
    const conv = byMid.get('t1@example.com');
    expect((await list(`?conversation_id=${conv}`)).items).toHaveLength(3);
  });

  it('stores malformed MIME and serves it back', async () => {
    for (const [name, raw] of Object.entries(MALFORMED)) {
      const result = await sendMail(gw.gateway.smtpPort, 'alice@example.com', [helper], raw);
      expect(result.data?.code, name).toBe(250);
    }
    const page = await (await gw.api(`/v1/agents/${helper}/messages?limit=200`)).json();
    for (const item of page.items) {
      expect((await gw.api(`/v1/agents/${helper}/messages/${item.id}`)).status).toBe(200);
      expect((await gw.api(`/v1/agents/${helper}/messages/${item.id}/raw`)).status).toBe(200);
    }
  });

  it('serves attachments by index with a safe disposition', async () => {
    const boundary = 'b0undary';
    const raw = Buffer.from(
      [
        'From: alice@example.com',
        `To: ${bot}`,
        'Subject: with attachment',
        'Message-ID: <att-1@example.com>',
        'MIME-Version: 1.0',
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
        '',
        `--${boundary}`,
        'Content-Type: text/plain',
        '',
        'see attached',
        `--${boundary}`,
        'Content-Type: text/html; name="page.html"',
        'Content-Disposition: attachment; filename="page.html"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('<script>alert(1)</script>').toString('base64'),
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    const { items } = await list('?subject_contains=with%20attachment');
    const message = await (await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`)).json();
    expect(message.attachments).toEqual([expect.objectContaining({ index: 0, filename: 'page.html', content_type: 'text/html', size: 25 })]);
    const res = await gw.api(`/v1/agents/${bot}/messages/${items[0].id}/attachments/0`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('<script>alert(1)</script>');
    expect(res.headers.get('content-disposition')).toContain('attachment; filename="page.html"');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect((await gw.api(`/v1/agents/${bot}/messages/${items[0].id}/attachments/1`)).status).toBe(404);
    expect((await gw.api(`/v1/agents/${bot}/messages/${items[0].id}/attachments/x`)).status).toBe(422);
  });

  it('paginates with an opaque cursor, newest first, without gaps or repeats', async () => {
    for (let i = 0; i < 7; i++) {
      await deliver(gw.gateway.smtpPort, 'pager@example.org', [bot], buildMessage({ from: 'pager@example.org', to: bot, subject: `page ${i}`, messageId: `page-${i}@example.org` }));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: Array<{ subject: string }>; next_cursor: string | null } = await list(`?from=pager@example.org&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((m) => m.subject));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `page ${i}`));
    expect((await gw.api(`/v1/agents/${bot}/messages?cursor=garbage`)).status).toBe(422);
    expect((await gw.api(`/v1/agents/${bot}/messages?limit=0`)).status).toBe(422);
  });

  it('filters by direction, time, sender, subject and unread', async () => {
    const all = (await list('?limit=200')).items;
    expect(all.length).toBeGreaterThan(10);
    expect((await list('?direction=outbound')).items).toHaveLength(0);
    expect((await list('?direction=inbound&limit=200')).items).toHaveLength(all.length);
    expect((await list('?unread=true&limit=200')).items).toHaveLength(all.length);
    expect((await list('?unread=false')).items).toHaveLength(0);
    expect((await list('?from=PAGER@example.org&limit=200')).items).toHaveLength(7);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await list(`?since=${encodeURIComponent(future)}`)).items).toHaveLength(0);
    expect((await list(`?until=${encodeURIComponent(future)}&limit=200`)).items).toHaveLength(all.length);
    expect((await list('?subject_contains=%25')).items).toHaveLength(0);
    expect((await gw.api(`/v1/agents/${bot}/messages?since=yesterday`)).status).toBe(422);
  });
});
