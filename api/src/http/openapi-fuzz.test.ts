/**
 * Generated input at every operation of the served OpenAPI document: path parameters (ids of
 * objects that exist, random ids, NUL, numbers past 2^31, broken percent-encoding), query strings
 * and JSON bodies built from and around each operation's schemas (unknown and misspelt fields, wrong
 * types, NUL, lone surrogates, huge numbers, repeated and bracketed keys), bodies in every
 * Content-Encoding, intact and corrupt, with an account key, an agent key, a bad key or none.
 * Whatever comes in, the answer is below 500, and every error is the envelope with its request id.
 *
 * The cases come from a fixed seed (E2A_FUZZ_SEED overrides it), drawn with fc.sample and all sent,
 * so one run reports every failing request (seed included) rather than the first one shrunk.
 */
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { createFakeResolver } from '@e2a/relay/testing';
import { ErrorEnvelope } from '@e2a/sdk/wire';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

const SEED = Number(process.env.E2A_FUZZ_SEED ?? 20_260_514);
const RUNS_PER_OPERATION = 10;
const REQUEST_TIMEOUT_MS = 15_000;

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  template: string;
  pathParams: string[];
  query: Array<{ name: string; required: boolean; schema: Json }>;
  body: Json | null;
  /** A page for browsers (`/review/{token}`, `/sign-in/{token}`): it answers a bad link with an HTML page, not the envelope. */
  htmlPage: boolean;
}
interface Attempt {
  method: string;
  path: string;
  key: 'account' | 'agent' | 'bad' | 'none';
  headers: Record<string, string>;
  body: Buffer | null;
  /** What the body was, for the failure report. */
  bodyNote: string;
}

const bot = `bot@${TEST_DOMAIN}`;

// ---- hostile pieces ----------------------------------------------------------------------------

/** Path segments as they go on the wire: already percent-encoded, some of them wrongly. */
const HOSTILE_SEGMENTS = [
  '%00',
  'msg_%00',
  'bot%00%40agents.test',
  '%E0%A4%A',
  '%',
  '%zz',
  '%ED%A0%80',
  '%C0%AF',
  '%FF%FE',
  '2147483648',
  '99999999999999999999999999',
  '-1',
  '1e400',
  '0x7fffffff',
  'NaN',
  '%2F..%2F..',
  '..',
  'x'.repeat(3000),
  '%0D%0ASet-Cookie:%20a=b',
  'agt_01jzzzzzzzzzzzzzzzzzzzzzzz',
  'msg_01jzzzzzzzzzzzzzzzzzzzzzzz',
];

const HOSTILE_STRINGS: unknown[] = ['\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '', ' ', 'x'.repeat(70_000), '\r\nBcc: victim@example.com', '😀', '%E0%A4%A', '../../etc/passwd'];
const HOSTILE_NUMBERS: unknown[] = [2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1, 0, 0.5, -0];
/** Headers the API reads besides the key (fetch itself refuses control characters and code points past U+00FF). */
const HOSTILE_HEADERS: Array<Record<string, string>> = [
  { 'idempotency-key': 'k'.repeat(300) },
  { 'idempotency-key': 'clé' },
  { 'idempotency-key': 'fuzz-1' },
  { 'x-request-id': '../\u00ff' },
  { 'x-request-id': 'r'.repeat(200) },
  { authorization: 'Basic dXNlcjpwYXNz' },
  { authorization: `Bearer ${'e2a_'.padEnd(600, 'x')}` },
];
const HOSTILE_VALUES: unknown[] = [...HOSTILE_STRINGS, ...HOSTILE_NUMBERS, null, true, [], {}, [[[[[]]]]], { __proto__: { polluted: true } }, { constructor: { prototype: {} } }];

/** Lone surrogates become U+FFFD, so encodeURIComponent can spell the string. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

const segment = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => encodeURIComponent(wellFormed(s))) },
);

// ---- values from and around a JSON Schema ------------------------------------------------------

function resolve(schema: Json, doc: Json): Json {
  let s = schema;
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
    const name = (s.$ref as string).replace('#/components/schemas/', '');
    s = ((doc.components as Json).schemas as Json)[name] as Json;
  }
  return s;
}

/** Values the schema accepts (mostly), built so the request reaches the handler. */
/** Strings a field of this name takes, where "a string" would almost always be refused. */
const BY_FIELD_NAME: Array<[RegExp, string[]]> = [
  [/^(to|cc|bcc|reply_to|review_notify|address|agent_address|agent_addresses|from)$/, ['dana@example.com', 'Dana <dana@example.com>', `spare@${TEST_DOMAIN}`]],
  [/^allowlist$/, ['dana@example.com', '@example.com']],
  [/^local_part$/, ['sales', 'a.b-c+d', 'x1']],
  [/^name$/, ['example.net', 'sub.example.org', 'ci key']],
  [/^content$/, ['aGVsbG8=', '']],
  [/^(filename)$/, ['a.txt', 'résumé.pdf']],
  [/^content_type$/, ['text/plain', 'application/pdf']],
];

function valid(schema: Json, doc: Json, pools: Pools, depth = 0, field = ''): fc.Arbitrary<unknown> {
  const s = resolve(schema, doc);
  if (Array.isArray(s.anyOf ?? s.oneOf)) return fc.oneof(...((s.anyOf ?? s.oneOf) as Json[]).map((o) => valid(o, doc, pools, depth + 1, field)));
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const type = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  const arbs: Array<fc.Arbitrary<unknown>> = [];
  for (const t of type) {
    if (t === 'null') arbs.push(fc.constant(null));
    else if (t === 'boolean') arbs.push(fc.boolean());
    else if (t === 'integer' || t === 'number') {
      const min = typeof s.minimum === 'number' ? s.minimum : -1000;
      const max = typeof s.maximum === 'number' ? s.maximum : 100_000;
      arbs.push(fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, 2 ** 31 - 1)) }));
    } else if (t === 'string') {
      const maxLength = typeof s.maxLength === 'number' ? s.maxLength : 200;
      if (s.format === 'date-time') arbs.push(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()));
      else if (s.format === 'uri') arbs.push(fc.constantFrom('https://hooks.example.com/e2a', 'https://example.com/x?y=1', 'http://127.0.0.1/'));
      else if (BY_FIELD_NAME.some(([re]) => re.test(field))) {
        const named = BY_FIELD_NAME.find(([re]) => re.test(field))![1];
        arbs.push(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...named) }, fc.string({ maxLength: Math.min(maxLength, 30) })));
      } else {
        const fitting = pools.strings.filter((v) => v.length <= maxLength);
        const random = fc.string({ maxLength: Math.min(maxLength, 30) });
        arbs.push(fitting.length > 0 ? fc.oneof(fc.constantFrom(...fitting), random) : random);
      }
    } else if (t === 'array') {
      const items = (s.items as Json) ?? {};
      const maxItems = typeof s.maxItems === 'number' ? Math.min(s.maxItems, 3) : 3;
      arbs.push(depth > 4 ? fc.constant([]) : fc.array(valid(items, doc, pools, depth + 1, field), { maxLength: maxItems }));
    } else if (t === 'object' || (t === undefined && s.properties)) {
      const props = (s.properties ?? {}) as Record<string, Json>;
      const required = (s.required ?? []) as string[];
      const extra = s.additionalProperties;
      if (Object.keys(props).length === 0 && extra && typeof extra === 'object') {
        arbs.push(fc.dictionary(fc.constantFrom('X-Priority', 'Keywords', 'Reply-To', 'x'), valid(extra as Json, doc, pools, depth + 1), { maxKeys: 2 }));
      } else {
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) record[k] = depth > 4 ? fc.constant(null) : valid(v, doc, pools, depth + 1, k);
        arbs.push(fc.record(record, { requiredKeys: required.filter((k) => k in record) }));
      }
    } else arbs.push(fc.constantFrom(...HOSTILE_VALUES));
  }
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

/** A misspelling of one of the keys, or a key nobody declared. */
const unknownKey = (keys: string[]) =>
  fc.oneof(
    fc.constantFrom('unknown_field', '__proto__', 'constructor', 'x\u0000y', '\ud800', ''),
    keys.length > 0 ? fc.constantFrom(...keys).map((k) => (k.length > 2 ? k.slice(0, -2) + k.at(-1)! + k.at(-2)! : `${k}_`)) : fc.constant('extra'),
  );

/** The valid value, bent: a hostile value somewhere inside, or an unknown field at some depth. */
function around(schema: Json, doc: Json, pools: Pools): fc.Arbitrary<unknown> {
  return valid(schema, doc, pools).chain((value) => fc.oneof(fc.constant(value), bend(value)));
}

function bend(value: unknown): fc.Arbitrary<unknown> {
  const hostile = fc.constantFrom(...HOSTILE_VALUES);
  if (Array.isArray(value) && value.length > 0) {
    return fc.nat(value.length - 1).chain((i) => bend(value[i]).map((v) => value.map((x, j) => (j === i ? v : x))));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const options: Array<fc.Arbitrary<unknown>> = [
      fc.tuple(unknownKey(keys), hostile).map(([k, v]) => ({ ...(value as Json), [k]: v })),
      hostile,
    ];
    if (keys.length > 0) {
      options.push(fc.constantFrom(...keys).chain((k) => bend((value as Json)[k]).map((v) => ({ ...(value as Json), [k]: v }))));
    }
    return fc.oneof(...options);
  }
  return hostile;
}

// ---- requests ----------------------------------------------------------------------------------

interface Pools {
  /** Existing objects' identifiers by path parameter name, and `collection/name` (`reviews/id`). */
  params: Record<string, string[]>;
  /** Strings worth trying where the schema says only "string": real addresses and ids. */
  strings: string[];
}

/** Existing objects' ids in every parameter but (usually) one, so the hostile one gets past the others. */
function pathArb(op: Operation, pools: Pools): fc.Arbitrary<string> {
  const segments = op.template.split('/');
  const known = op.pathParams.map((name) => {
    const collection = segments[segments.indexOf(`{${name}}`) - 1];
    return (pools.params[`${collection}/${name}`] ?? pools.params[name] ?? []).map(encodeURIComponent);
  });
  const validFor = (i: number) => (known[i]!.length > 0 ? fc.constantFrom(...known[i]!) : segment);
  const fill = (values: string[]) => {
    let i = 0;
    return op.template.replace(/\{[^}]+\}/g, () => values[i++]!);
  };
  if (op.pathParams.length === 0) return fc.constant(op.template);
  const which = fc.oneof({ weight: 2, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(op.pathParams.length - 1) });
  return which.chain((hostile) =>
    fc.tuple(...op.pathParams.map((_, i) => (i === hostile ? segment : validFor(i)))).map(fill),
  );
}

const encodeQuery = (v: unknown) => encodeURIComponent(wellFormed(String(typeof v === 'object' && v !== null ? JSON.stringify(v) : v)));

/** Valid values for some parameters, and at most one hostile piece. */
function queryArb(op: Operation, doc: Json, pools: Pools): fc.Arbitrary<string> {
  const validPieces = fc.tuple(...op.query.map((q) => fc.option(valid(q.schema, doc, pools, 0, q.name).map((v) => `${q.name}=${encodeQuery(v)}`), { freq: 2 })));
  const names = op.query.map((q) => q.name);
  const hostile = fc.oneof(
    fc.constantFrom('unknown=1', 'a[b]=c', '%00=1', 'x=%00', '__proto__[y]=1', 'limit[]=5', '%E0%A4%A=1', '&&&', '='),
    ...(names.length > 0
      ? [
          fc.tuple(fc.constantFrom(...names), fc.constantFrom(...HOSTILE_VALUES)).map(([n, v]) => `${n}=${encodeQuery(v)}`),
          fc.tuple(fc.constantFrom(...names), fc.constantFrom('%00', 'a%00', '%E0%A4%A', '%', '2147483648', '1e400', '-0', '')).map(([n, raw]) => `${n}=${raw}`),
          fc.constantFrom(...names).map((n) => `${n}=1&${n}=2`),
          fc.constantFrom(...names).map((n) => `${n}[a]=1`),
        ]
      : []),
  );
  return fc.tuple(validPieces, fc.option(hostile, { freq: 2 })).map(([pieces, more]) => {
    const all = [...pieces, more].filter((p): p is string => typeof p === 'string');
    return all.length > 0 ? `?${all.join('&')}` : '';
  });
}

const ENCODERS: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync, zstd: zstdCompressSync };

type BodyPart = Pick<Attempt, 'headers' | 'body' | 'bodyNote'>;

function bodyArb(op: Operation, doc: Json, pools: Pools): fc.Arbitrary<BodyPart> {
  const json = op.body ? around(op.body, doc, pools) : fc.oneof(fc.constant(undefined), fc.constantFrom<unknown>({}, { unexpected: 1 }, [], HOSTILE_VALUES[0]));
  const asJson = json.map((v) => (v === undefined ? null : Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')));
  const raw = fc.constantFrom(
    ...[
      '{"a":',
      '{"a":1,"a":2}',
      'null',
      '"just a string"',
      '\u0000',
      '{"text":"\\ud800"}',
      '[' .repeat(5000),
      `{"x":${'['.repeat(3000)}${']'.repeat(3000)}}`,
      '{"limit":1e999}',
    ].map((s) => Buffer.from(s, 'utf8')),
  );
  return fc.oneof<Array<{ weight: number; arbitrary: fc.Arbitrary<BodyPart> }>>(
    { weight: 12, arbitrary: asJson.map((body): BodyPart => ({ headers: body ? { 'content-type': 'application/json' } : {}, body, bodyNote: body ? body.toString('utf8').slice(0, 300) : '(none)' })) },
    {
      weight: 2,
      arbitrary: fc.tuple(asJson, fc.constantFrom(...Object.keys(ENCODERS)), fc.boolean()).map(([body, enc, corrupt]) => {
        const packed = ENCODERS[enc]!(body ?? Buffer.from('{}'));
        const sent = corrupt ? Buffer.concat([packed.subarray(0, Math.max(1, packed.length >> 1)), Buffer.from('garbage')]) : packed;
        return { headers: { 'content-type': 'application/json', 'content-encoding': enc }, body: sent, bodyNote: `${corrupt ? 'corrupt ' : ''}${enc} of ${(body ?? Buffer.from('{}')).toString('utf8').slice(0, 200)}` };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(raw, fc.constantFrom('application/json', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x')).map(([body, type]) => ({
        headers: { 'content-type': type },
        body,
        bodyNote: `${type}: ${body.toString('utf8').slice(0, 120)}`,
      })),
    },
    { weight: 1, arbitrary: fc.constantFrom('compress', 'x-gzip', 'gzip, br', 'identity;q=0', 'GZIP').map((enc) => ({ headers: { 'content-type': 'application/json', 'content-encoding': enc }, body: Buffer.from('{}'), bodyNote: `content-encoding ${enc}` })) },
  );
}

function attemptArb(op: Operation, doc: Json, pools: Pools): fc.Arbitrary<Attempt> {
  return fc
    .record({
      path: pathArb(op, pools),
      query: queryArb(op, doc, pools),
      body: bodyArb(op, doc, pools),
      key: fc.oneof({ weight: 10, arbitrary: fc.constant<Attempt['key']>('account') }, fc.constantFrom<Attempt['key']>('agent', 'bad', 'none')),
      extra: fc.option(fc.constantFrom<Record<string, string>>(...HOSTILE_HEADERS), { freq: 4 }),
    })
    .map(({ path, query, body, key, extra }) => ({ method: op.method.toUpperCase(), path: path + query, key, ...body, headers: { ...body.headers, ...extra } }));
}

// ---- the run -----------------------------------------------------------------------------------

function operations(doc: Json): Operation[] {
  const ops: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(methods)) {
      // JSON API operations only: /mcp (JSON-RPC, its own tests in api/src/mcp/) and the WebSocket
      // upgrade (api/src/realtime/) carry x-e2a-kind.
      if (op['x-e2a-kind']) continue;
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; required: boolean; schema: Json }>;
      const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as { schema: Json } | undefined;
      ops.push({
        method,
        template,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required, schema: p.schema })),
        body: body?.schema ?? null,
        htmlPage: Object.values((op.responses ?? {}) as Record<string, { content?: Json }>).some((r) => r.content?.['text/html'] !== undefined),
      });
    }
  }
  // Deletions last, so the objects the other operations aim at exist while they run.
  return ops.sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));
}

describe('every operation of /v1/openapi.json under generated input', () => {
  let gw: TestGateway;
  let agentKey: string;
  let doc: Json;
  const pools: Pools = { params: {}, strings: [] };

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: { E2A_OUTBOUND_SMTP_MODE: 'none' } });
    const post = async (path: string, body: unknown) => {
      const res = await gw.api(path, { method: 'POST', body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Json;
    };
    await post('/v1/agents', { local_part: 'bot' });
    await post('/v1/agents', { local_part: 'spare' });
    const agentKeyRow = await post('/v1/account/api-keys', { scope: 'agent', agent_address: bot });
    agentKey = agentKeyRow.key as string;
    const spareKey = await post('/v1/account/api-keys', { name: 'spare' });
    const webhook = await post('/v1/webhooks', { url: 'https://hooks.example.com/e2a' });
    await post('/v1/domains', { name: 'example.org' });
    const attached = ['--b1', 'Content-Type: text/plain; name="a.txt"', 'Content-Disposition: attachment; filename="a.txt"', '', 'attached', '--b1--', ''];
    const raw = ['From: alice@example.com', `To: ${bot}`, 'Subject: fixture', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'hello', ...attached];
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], Buffer.from(raw.join('\r\n')));
    // 250 means committed: the message is listed from here on.
    const messages = ((await (await gw.api(`/v1/agents/${bot}/messages`)).json()) as { items: Json[] }).items;
    expect(messages).toHaveLength(1);
    // A held outbound message gives a review to aim at.
    const put = await gw.api(`/v1/agents/${bot}/protection`, { method: 'PUT', body: JSON.stringify({ outbound: { policy: 'allowlist', action: 'review' } }) });
    expect(put.status).toBe(200);
    await post(`/v1/agents/${bot}/messages`, { to: ['dana@example.com'], subject: 'held', text: 'hi' });
    // A saved draft, so draft routes are also tried with an id that exists.
    const draft = await post(`/v1/agents/${bot}/drafts`, { to: ['dana@example.com'], subject: 'draft', text: 'hi' });
    const reviews = (await (await gw.api('/v1/reviews')).json()) as { items: Json[] };
    const events = (await (await gw.api('/v1/events')).json()) as { items: Json[] };
    const conversations = (await (await gw.api(`/v1/agents/${bot}/conversations`)).json()) as { items: Json[] };

    const idsOf = (items: Json[]) => items.map((item) => item.id as string);
    pools.params = {
      address: [bot, `spare@${TEST_DOMAIN}`],
      'messages/id': idsOf(messages),
      'reviews/id': idsOf(reviews.items),
      'events/id': idsOf(events.items),
      'conversations/id': idsOf(conversations.items),
      'drafts/id': [draft.id as string],
      'webhooks/id': [webhook.id as string],
      'api-keys/id': [spareKey.id as string],
      name: ['example.org', TEST_DOMAIN],
      index: ['0', '1'],
      token: ['a'.repeat(43)],
    };
    const ids = Object.values(pools.params).flat().filter((v) => /^[a-z]+_/.test(v));
    pools.strings = [bot, 'dana@example.com', 'Dana <dana@example.com>', '@example.com', ...ids, 'inbound', 'outbound', 'hello'];
    doc = (await (await gw.api('/v1/openapi.json', { key: null })).json()) as Json;
  });
  afterAll(() => gw?.close());

  it('answers every generated request below 500, and every error as the envelope with a request id', async () => {
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(30);
    const failures: string[] = [];
    let sent = 0;
    for (const [i, op] of ops.entries()) {
      for (const attempt of fc.sample(attemptArb(op, doc, pools), { seed: SEED + i, numRuns: RUNS_PER_OPERATION })) {
        sent++;
        const problem = await send(attempt, op);
        if (problem) failures.push(`${attempt.method} ${attempt.path.slice(0, 300)} [key: ${attempt.key}] body ${attempt.bodyNote} ${JSON.stringify(attempt.headers)}\n    → ${problem}`);
      }
    }
    expect(failures, `seed ${SEED} (E2A_FUZZ_SEED=${SEED} replays it): ${failures.length} of ${sent} requests failed:\n${failures.join('\n')}`).toEqual([]);
  }, 120_000);

  it('says in the document that every request object refuses unknown fields, and how each path parameter looks', () => {
    const lenient: string[] = [];
    const walk = (schema: unknown, where: string, seen: Set<unknown>): void => {
      if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
      seen.add(schema);
      const s = resolve(schema as Json, doc);
      if (s.properties && s.additionalProperties !== false) lenient.push(where);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${where}.${k}`, seen);
      for (const key of ['items', 'additionalProperties']) if (s[key] && typeof s[key] === 'object') walk(s[key], `${where}[]`, seen);
      for (const key of ['anyOf', 'oneOf', 'allOf']) for (const o of (s[key] as unknown[] | undefined) ?? []) walk(o, where, seen);
    };
    for (const op of operations(doc)) {
      if (op.body) walk(op.body, `${op.method} ${op.template} body`, new Set());
      for (const name of op.pathParams) {
        const param = (((doc.paths as Json)[op.template] as Json)[op.method] as { parameters: Array<{ name: string; schema: Json }> }).parameters.find((p) => p.name === name)!;
        expect(param.schema.pattern ?? param.schema.maxLength ?? param.schema.maximum, `${op.template} {${name}}`).toBeDefined();
      }
    }
    expect(lenient).toEqual([]);
  });

  async function send(a: Attempt, op: Operation): Promise<string | null> {
    const headers: Record<string, string> = { ...a.headers };
    if (a.key === 'account') headers.authorization = `Bearer ${gw.apiKey}`;
    if (a.key === 'agent') headers.authorization = `Bearer ${agentKey}`;
    if (a.key === 'bad') headers.authorization = 'Bearer e2a_not_a_key';
    let res: Response;
    try {
      res = await fetch(`${gw.gateway.httpUrl}${a.path}`, {
        method: a.method,
        headers,
        body: a.body && a.method !== 'GET' ? new Uint8Array(a.body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      return `no answer: ${(err as Error).message}`;
    }
    const text = await res.text();
    if (res.status >= 500) return `${res.status} ${text.slice(0, 300)}`;
    if (res.status < 400) return null;
    if (op.htmlPage && (res.headers.get('content-type') ?? '').startsWith('text/html')) return null;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `${res.status} is not JSON: ${text.slice(0, 200)}`;
    }
    const envelope = ErrorEnvelope.safeParse(body);
    if (!envelope.success) return `${res.status} is not the error envelope: ${text.slice(0, 300)}`;
    const id = res.headers.get('x-request-id');
    if (!envelope.data.error.request_id || envelope.data.error.request_id !== id) return `${res.status} request_id ${envelope.data.error.request_id} ≠ X-Request-Id ${id}`;
    return null;
  }
});
