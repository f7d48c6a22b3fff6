/**
 * The served /v1/openapi.json passes Redocly's lint with the rules of redocly.yaml (0 errors, 0
 * warnings) and swagger-parser's validation; operationIds are unique and named resource.verb; the
 * document describes the transports served beside the route table (/mcp, the WebSocket upgrade) and
 * every webhook event type; the AsyncAPI document at /v1/asyncapi.json covers every frame and close
 * code of the wire tables, and @asyncapi/parser accepts it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser as AsyncApiParser } from '@asyncapi/parser';
import { CLOSE, ClientFrame, EVENT_TYPES, ServerFrame } from '@e2a/sdk/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../testing/gateway.js';
import { OPERATION_ID } from './route.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const REDOCLY = join(ROOT, 'node_modules/.bin/redocly');

type Json = Record<string, unknown>;

describe('the published API descriptions', () => {
  let gw: TestGateway;
  let openapi: Json;
  let asyncapi: Json;
  let dir: string;

  beforeAll(async () => {
    gw = await startTestGateway({ engine: 'pglite' });
    openapi = (await (await gw.api('/v1/openapi.json', { key: null })).json()) as Json;
    asyncapi = (await (await gw.api('/v1/asyncapi.json', { key: null })).json()) as Json;
    dir = await mkdtemp(join(tmpdir(), 'e2a-openapi-'));
  });
  afterAll(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes redocly lint (redocly.yaml) with 0 errors and 0 warnings', async () => {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(openapi, null, 2));
    const run = await promisify(execFile)(REDOCLY, ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'], { cwd: dir, maxBuffer: 16 << 20 }).catch(
      (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
    );
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(', ')}`);
    expect(problems, run.stderr).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('is a valid OpenAPI 3.1 document for swagger-parser', async () => {
    await expect(SwaggerParser.validate(structuredClone(openapi) as never)).resolves.toBeTruthy();
  });

  it('names every operation resource.verb, uniquely, and marks the non-JSON transports', () => {
    const ids: string[] = [];
    const kinds: Record<string, string> = {};
    for (const [path, methods] of Object.entries(openapi.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(methods)) {
        ids.push(op.operationId as string);
        if (op['x-e2a-kind']) kinds[`${method} ${path}`] = op['x-e2a-kind'] as string;
      }
    }
    for (const methods of Object.values(openapi.webhooks as Record<string, Record<string, Json>>)) for (const op of Object.values(methods)) ids.push(op.operationId as string);
    expect(ids.filter((id) => !OPERATION_ID.test(id))).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(ids).toEqual(expect.arrayContaining(['messages.send', 'messages.list', 'agents.create', 'webhooks.rotateSecret', 'mcp.call', 'realtime.connect']));
    expect(kinds).toEqual({ 'post /mcp': 'mcp', 'get /mcp': 'mcp', 'delete /mcp': 'mcp', 'get /v1/agents/{address}/ws': 'websocket' });
  });

  it('gives every operation its 4xx answers as the Error envelope, 429 with Retry-After, and Idempotency-Key where honoured', () => {
    const paths = openapi.paths as Record<string, Record<string, { responses: Record<string, { $ref?: string }>; parameters?: Json[] }>>;
    const components = openapi.components as { responses: Record<string, { headers?: Json; content: Record<string, { schema: Json }> }> };
    for (const response of Object.values(components.responses)) expect(response.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(Object.keys(components.responses.RateLimited!.headers ?? {})).toEqual(['Retry-After', 'RateLimit', 'RateLimit-Policy']);
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(Object.keys(op.responses).some((s) => s.startsWith('4')), `${method} ${path}`).toBe(true);
      }
    }
    const send = paths['/v1/agents/{address}/messages']!.post!;
    expect(Object.keys(send.responses)).toEqual(expect.arrayContaining(['400', '401', '402', '403', '404', '409', '413', '415', '422', '429']));
    expect(send.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(paths['/v1/agents/{address}/messages']!.get!.parameters).not.toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(paths['/v1/info']!.get).toMatchObject({ security: [{}, { bearer: [] }] });
    expect(paths['/v1/agents/{address}/ws']!.get!.responses['101']).toBeDefined();
    // The sign-in link is a page for a person: a redirect when it works, an HTML page when it does not.
    const signIn = paths['/sign-in/{token}']!.get!.responses as Record<string, { headers?: Json; content?: Record<string, unknown> }>;
    expect(Object.keys(signIn['303']!.headers ?? {})).toEqual(['Location']);
    for (const status of ['404', '410']) expect(Object.keys(signIn[status]!.content ?? {}), status).toEqual(['text/html']);
    expect(signIn['429']).toEqual({ $ref: '#/components/responses/RateLimited' });
  });

  it('describes every event type as a webhook', () => {
    expect(Object.keys(openapi.webhooks as Json)).toEqual(expect.arrayContaining([...EVENT_TYPES]));
  });

  it('is a valid AsyncAPI document for @asyncapi/parser, without diagnostics', async () => {
    const { document, diagnostics } = await new AsyncApiParser().parse(JSON.stringify(asyncapi));
    expect(diagnostics.map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
  });

  it('publishes the WebSocket protocol as AsyncAPI 3 with every frame type and close code of the wire tables', () => {
    expect(asyncapi.asyncapi).toBe('3.1.0');
    const closeCodes = (asyncapi['x-e2a-close-codes'] as Array<{ code: number; name: string }>).map((c) => c.code);
    expect(closeCodes.sort()).toEqual(Object.values(CLOSE).sort());
    const description = (asyncapi.info as { description: string }).description;
    for (const code of Object.values(CLOSE)) expect(description).toContain(`\`${code}\``);
    const messages = Object.values((asyncapi.components as { messages: Record<string, { name: string }> }).messages).map((m) => m.name);
    const frameTypes = [...ClientFrame.options, ...ServerFrame.options].map((f) => f.shape.type.value);
    expect(messages.sort()).toEqual(frameTypes.sort());
    // Every message is used by an operation, and every operation points at a channel message that exists.
    const channel = (asyncapi.channels as { agent: { messages: Record<string, unknown> } }).agent;
    for (const op of Object.values(asyncapi.operations as Record<string, { messages: Array<{ $ref: string }> }>)) {
      for (const m of op.messages) expect(channel.messages[m.$ref.split('/').pop()!], m.$ref).toBeDefined();
    }
  });
});
