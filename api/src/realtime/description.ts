/**
 * The WebSocket protocol as published: the upgrade in /v1/openapi.json and the whole protocol
 * (frames both ways, acks, close codes) as AsyncAPI 3 at /v1/asyncapi.json. Both are generated from
 * the wire tables (sdk-ts/src/wire/realtime.ts), so a new frame or close code appears here by itself.
 */
import { AckedFrame, AckFrame, AuthFrame, CLOSE, CLOSE_MEANINGS, ClientFrame, ErrorFrame, EventFrame, FATAL_CLOSE_CODES, ReadyFrame, ResumeFrame, ServerFrame, type CloseName } from '@e2a/sdk/wire';
import type { z } from 'zod';
import { schemaCollector, type JsonSchema } from '../http/json-schema.js';
import type { ExternalOperation } from '../http/openapi.js';
import { paramSchema } from '../http/path-params.js';

const WS_PATH = '/v1/agents/{address}/ws';

/** Every close code, with its name and meaning, in code order. */
export function closeCodes(): Array<{ code: number; name: CloseName; meaning: string; fatal: boolean }> {
  return (Object.entries(CLOSE) as Array<[CloseName, number]>)
    .map(([name, code]) => ({ code, name, meaning: CLOSE_MEANINGS[name], fatal: (FATAL_CLOSE_CODES as readonly number[]).includes(code) }))
    .sort((a, b) => a.code - b.code);
}

const closeCodeList = () => closeCodes().map((c) => `- \`${c.code}\` ${c.name}${c.fatal ? ' (do not reconnect with the same request)' : ''}: ${c.meaning}`).join('\n');

/** The frame schemas by direction, as the wire module's discriminated unions list them. */
const frames = (union: typeof ClientFrame | typeof ServerFrame): z.ZodType[] => union.options as unknown as z.ZodType[];
const frameType = (frame: z.ZodType): string => ((frame as unknown as z.ZodObject).shape.type as z.ZodLiteral<string>).value;

export const REALTIME_OPERATIONS: ExternalOperation[] = [
  {
    method: 'get',
    path: WS_PATH,
    kind: 'websocket',
    operationId: 'realtime.connect',
    auth: 'optional',
    errors: ['bad_request', 'not_found'],
    operation: {
      summary: "WebSocket upgrade: the agent's events live, with acks and replay of unacknowledged ones",
      description: `The frames are described by /v1/asyncapi.json. Authenticate with \`Authorization: Bearer e2a_…\` or, where a client cannot set headers, a first \`auth\` frame; a key in the URL is refused (close 4002). Refusals after the upgrade are close codes:\n\n${closeCodeList()}`,
      tags: ['realtime'],
      parameters: [
        { name: 'address', in: 'path', required: true, schema: paramSchema('address') },
        { name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', const: 'websocket' } },
      ],
      responses: { '101': { description: 'Switching Protocols: the WebSocket session begins; the server sends `ready` once authenticated.' } },
    },
  },
];

/** The AsyncAPI 3.1 document of the WebSocket protocol. */
export function buildAsyncApi(info: { version: string; publicUrl: string }): JsonSchema {
  // AsyncAPI's default schema format is a JSON Schema draft-07 superset.
  const { toSchema, components } = schemaCollector({ target: 'draft-7' });
  const url = new URL(info.publicUrl);
  const messages: Record<string, JsonSchema> = {};
  const channelMessages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const message = (frame: z.ZodType, direction: 'send' | 'receive') => {
    const type = frameType(frame);
    const name = `${type}${direction === 'send' ? 'ClientFrame' : 'ServerFrame'}`;
    const schema = toSchema(frame, 'output');
    const description = (frame.meta() as { description?: string } | undefined)?.description;
    messages[name] = { name: type, title: `${type} frame`, ...(description ? { summary: description } : {}), contentType: 'application/json', payload: schema };
    channelMessages[name] = { $ref: `#/components/messages/${name}` };
    return name;
  };
  const msgRef = (name: string) => ({ $ref: `#/channels/agent/messages/${name}` });
  for (const frame of frames(ClientFrame)) message(frame, 'send');
  for (const frame of frames(ServerFrame)) message(frame, 'receive');

  const auth = frameType(AuthFrame);
  const ack = frameType(AckFrame);
  const resume = frameType(ResumeFrame);
  const ready = frameType(ReadyFrame);
  const event = frameType(EventFrame);
  const acked = frameType(AckedFrame);
  const error = frameType(ErrorFrame);
  const send = (name: string, summary: string, reply?: string[]) => ({
    action: 'send',
    channel: { $ref: '#/channels/agent' },
    summary,
    messages: [msgRef(`${name}ClientFrame`)],
    ...(reply ? { reply: { channel: { $ref: '#/channels/agent' }, messages: reply.map((r) => msgRef(`${r}ServerFrame`)) } } : {}),
  });
  const receive = (name: string, summary: string) => ({ action: 'receive', channel: { $ref: '#/channels/agent' }, summary, messages: [msgRef(`${name}ServerFrame`)] });
  operations.sendAuth = send(auth, 'Authenticate, when no Authorization header was sent (first frame only)', [ready, error]);
  operations.sendAck = send(ack, 'Acknowledge an event: it is not replayed to any listener of the agent again', [acked, error]);
  operations.sendResume = send(resume, 'Continue after an event id', [error]);
  operations.receiveReady = receive(ready, 'Authenticated; replayed and live events follow');
  operations.receiveEvent = receive(event, 'An event (the same envelope as webhooks and GET /v1/events); ack it');
  operations.receiveAcked = receive(acked, 'An ack was recorded');
  operations.receiveError = receive(error, 'A recoverable problem with one client frame; the session stays open');
  // Every frame the wire tables define has an operation (a new frame type fails here, not silently).
  const covered = new Set(Object.values(operations).flatMap((op) => (op.messages as Array<{ $ref: string }>).map((m) => m.$ref.split('/').pop())));
  for (const name of Object.keys(messages)) if (!covered.has(name)) throw new Error(`asyncapi: frame ${name} has no operation in realtime/description.ts`);

  return {
    asyncapi: '3.1.0',
    info: {
      title: 'e2a realtime',
      version: info.version,
      description: `The WebSocket protocol of GET ${WS_PATH} (docs/REALTIME.md): JSON text frames both ways. Close codes:\n\n${closeCodeList()}`,
      // AsyncAPI's license object has a url, not OpenAPI 3.1's SPDX identifier.
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    servers: {
      gateway: {
        host: url.host,
        protocol: url.protocol === 'https:' ? 'wss' : 'ws',
        ...(url.pathname !== '/' ? { pathname: url.pathname.replace(/\/$/, '') } : {}),
        security: [{ $ref: '#/components/securitySchemes/bearer' }],
      },
    },
    defaultContentType: 'application/json',
    channels: {
      agent: {
        address: WS_PATH,
        title: "An agent's events",
        parameters: { address: { description: 'The agent address, name@domain.' } },
        messages: channelMessages,
        bindings: { ws: { method: 'GET', bindingVersion: '0.1.0' } },
      },
    },
    operations,
    components: {
      schemas: components,
      messages,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key: e2a_…, in the upgrade request, or in the first `auth` frame.' } },
    },
    'x-e2a-close-codes': closeCodes(),
  };
}
