/**
 * Client input that used to reach the database or Node's header writer and come back as a 500, on
 * both engines: unknown fields (silently dropped, leaving an agent unprotected), NUL in paths, query
 * filters and JSON fields (PostgreSQL 22021), numbers past 2^31 in an integer path parameter
 * (22003), malformed percent-encoding (URIError), corrupt compressed bodies (zlib errors), and a
 * request line too long for Node's parser. Each is now a 4xx in the error envelope that names what
 * is wrong.
 */
import { request as rawRequest } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import { CLOSE, ErrorEnvelope } from '@e2a/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

const bot = `bot@${TEST_DOMAIN}`;

interface Answer {
  status: number;
  code: string;
  message: string;
  details?: Array<{ path: string; message: string }>;
}

/** The error envelope of a response, insisting it is one and carries the X-Request-Id. */
async function errorOf(res: Response): Promise<Answer> {
  const body = ErrorEnvelope.parse(await res.json());
  expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
  return { status: res.status, ...body.error };
}

describe.each(ENGINES)('hostile client input (%s)', (engine) => {
  let gw: TestGateway;
  let messageId: string;
  let webhookId: string;
  const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}) });
    expect((await gw.api('/v1/agents', json('POST', { local_part: 'bot' }))).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], buildMessage());
    messageId = (await (await gw.api(`/v1/agents/${bot}/messages`)).json()).items[0].id;
    webhookId = (await (await gw.api('/v1/webhooks', json('POST', { url: 'https://hooks.example.com/e2a' }))).json()).id;
  });
  afterAll(() => gw?.close());

  it('refuses a misspelt protection field with its path and the fix, and leaves the protection as it was', async () => {
    const before = await (await gw.api(`/v1/agents/${bot}/protection`)).json();
    const put = await gw.api(`/v1/agents/${bot}/protection`, json('PUT', { inbound: { policy: 'allowlist', allowlist: ['boss@example.com'], acton: 'block' } }));
    expect(await errorOf(put)).toMatchObject({
      status: 422,
      code: 'validation_error',
      message: 'body.inbound.acton: unknown field; did you mean "action"?',
      details: [{ path: 'body.inbound.acton', message: 'unknown field; did you mean "action"?' }],
    });
    expect(await (await gw.api(`/v1/agents/${bot}/protection`)).json()).toEqual(before);
  });

  it('refuses unknown fields in bodies, in array items, and on routes that take no body', async () => {
    expect(await errorOf(await gw.api('/v1/agents', json('POST', { local_part: 'sales', displayName: 'Sales' })))).toMatchObject({
      status: 422,
      message: 'body.displayName: unknown field; did you mean "display_name"?',
    });
    const send = await gw.api(`/v1/agents/${bot}/messages`, json('POST', { to: [{ address: 'dana@example.com', nmae: 'Dana' }], subject: 'hi', text: 'x' }));
    expect(await errorOf(send)).toMatchObject({ status: 422, message: 'body.to.0.nmae: unknown field; did you mean "name"?' });
    const rotate = await gw.api(`/v1/webhooks/${webhookId}/rotate-secret`, json('POST', { force: true }));
    expect(await errorOf(rotate)).toMatchObject({ status: 422, message: 'body.force: unknown field; nothing is expected here; remove it' });
    expect((await gw.api(`/v1/webhooks/${webhookId}/rotate-secret`, json('POST', {}))).status).toBe(200);
    expect((await gw.api(`/v1/webhooks/${webhookId}/rotate-secret`, { method: 'POST' })).status).toBe(200);
  });

  it('refuses unknown, repeated and bracketed query parameters', async () => {
    expect(await errorOf(await gw.api('/v1/agents?limt=5'))).toMatchObject({ status: 422, message: 'query.limt: unknown query parameter; did you mean "limit"?' });
    expect(await errorOf(await gw.api('/v1/agents?limit=1&limit=2'))).toMatchObject({ status: 422, message: 'query.limit: given more than once; give each query parameter once' });
    expect(await errorOf(await gw.api('/v1/agents?limit[gt]=1'))).toMatchObject({ status: 422, message: 'query.limit[gt]: unknown query parameter; did you mean "limit"?' });
    expect(await errorOf(await gw.api(`/v1/agents/${bot}?expand=all`))).toMatchObject({ status: 422, message: 'query.expand: unknown query parameter; this route takes no query parameters' });
    expect((await gw.api('/v1/agents?limit=1')).status).toBe(200);
  });

  it('answers NUL in a path, a query filter or a JSON field with a 4xx, not a database error', async () => {
    const cases: Array<[string, RequestInit, number, RegExp]> = [
      [`/v1/agents/bot%00@${TEST_DOMAIN}`, {}, 404, /^agent "bot\\u0000@agents.test" not found/],
      [`/v1/agents/${bot}/messages/msg_%00`, {}, 404, /^message "msg_\\u0000" not found/],
      ['/v1/reviews/rev_01%00', {}, 404, /^review "rev_01\\u0000" not found/],
      ['/v1/domains/example.org%00', {}, 404, /^domain "example.org\\u0000" not found/],
      [`/v1/agents/${bot}/messages?from=a%00b`, {}, 422, /^query\.from: must not contain NUL/],
      [`/v1/agents/${bot}/messages?subject_contains=%00`, {}, 422, /^query\.subject_contains: must not contain NUL/],
      ['/v1/events?agent_address=%00', {}, 422, /^query\.agent_address: must not contain NUL/],
      ['/v1/webhooks', json('POST', { url: 'https://hooks.example.com/x', description: 'a\u0000b' }), 422, /^body\.description: must not contain NUL/],
      ['/v1/webhooks', json('POST', { url: 'https://hooks.example.com/x', filters: { agent_addresses: ['\ud800'] } }), 422, /^body\.filters\.agent_addresses\.0: must be well-formed Unicode/],
      [`/v1/agents/${bot}/messages`, json('POST', { to: ['dana@example.com'], text: 'hi', conversation_id: 'conv_\u0000' }), 422, /^body\.conversation_id: must not contain NUL/],
      ['/v1/domains', json('POST', { name: 'exa\u0000mple.org' }), 422, /^body\.name: must not contain NUL/],
    ];
    for (const [path, init, status, message] of cases) {
      const answer = await errorOf(await gw.api(path, init));
      expect(answer.status, path).toBe(status);
      expect(answer.message, path).toMatch(message);
    }
  });

  it('closes a WebSocket for an address with NUL as "no such agent", not as an internal error', async () => {
    const url = `${gw.gateway.httpUrl.replace(/^http/, 'ws')}/v1/agents/bot%00@${TEST_DOMAIN}/ws`;
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${gw.apiKey}` } });
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      ws.on('error', reject);
    });
    expect(closed).toEqual({ code: CLOSE.notFound, reason: 'no such agent: an agent address is name@domain' });
  });

  it('answers an attachment index past 2^31 with 404 and a non-integer with 422', async () => {
    const base = `/v1/agents/${bot}/messages/${messageId}/attachments`;
    for (const index of ['2147483648', '99999999999999999999999']) {
      expect(await errorOf(await gw.api(`${base}/${index}`))).toMatchObject({ status: 404, message: `attachment "${index}" not found` });
    }
    expect(await errorOf(await gw.api(`${base}/2147483647`))).toMatchObject({ status: 404 });
    for (const index of ['-1', '1.5', '1e3', 'x']) expect((await errorOf(await gw.api(`${base}/${index}`))).status, index).toBe(422);
  });

  it('answers malformed percent-encoding in the path with 400', async () => {
    for (const segment of ['%E0%A4%A', '%', '%zz', '%ED%A0%80', '%C0%AF']) {
      expect(await errorOf(await gw.api(`/v1/agents/${segment}`))).toMatchObject({ status: 400, code: 'bad_request', message: expect.stringMatching(/^the path has malformed percent-encoding/) });
    }
  });

  it('reads bodies in every Content-Encoding, answers a corrupt one with 400 and an unknown one with 415', async () => {
    const encoders = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync, zstd: zstdCompressSync };
    for (const [encoding, encode] of Object.entries(encoders)) {
      const body = Buffer.from(JSON.stringify({ local_part: `packed-${encoding}` }));
      const ok = await gw.api('/v1/agents', { method: 'POST', body: new Uint8Array(encode(body)), headers: { 'content-encoding': encoding } });
      expect(ok.status, encoding).toBe(201);
      // The stream's first bytes, then garbage: a truncated zstd frame of stored blocks decodes to a
      // prefix without an error, so truncation alone would not test the decoder's refusal.
      const corrupt = Buffer.concat([encode(body).subarray(0, 6), Buffer.from('garbage garbage garbage garbage')]);
      const answer = await errorOf(await gw.api('/v1/agents', { method: 'POST', body: new Uint8Array(corrupt), headers: { 'content-encoding': encoding } }));
      expect(answer, encoding).toMatchObject({ status: 400, code: 'bad_request', message: expect.stringContaining(`request body is not valid ${encoding} data`) });
    }
    const unknown = await gw.api('/v1/agents', { method: 'POST', body: '{}', headers: { 'content-encoding': 'compress' } });
    expect(await errorOf(unknown)).toMatchObject({ status: 415, code: 'unsupported_media_type', message: 'Content-Encoding "compress" is not supported: send the body uncompressed, or as one of gzip, deflate, br, zstd' });
  });

  it('answers a request line longer than Node parses with the envelope (431)', async () => {
    const url = new URL(gw.gateway.httpUrl);
    const answer = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = rawRequest({ host: url.hostname, port: url.port, path: `/v1/agents?x=${'a'.repeat(20_000)}` }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(431);
    const envelope = ErrorEnvelope.parse(JSON.parse(answer.body));
    expect(envelope.error).toMatchObject({ code: 'headers_too_large', request_id: answer.headers['x-request-id'] });
  });
});
