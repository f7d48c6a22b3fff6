/**
 * How the delivery bench charges a gateway CPU profile (cpu-profile.ts's startProfile): in the terms
 * of the delivery path, SQL, the webhook HTTP client, signing, the secret box, the realtime hub,
 * `ws`, and the inbound pipeline that produces the events. A sample is charged to the nearest frame (leaf
 * upwards) that is a package or our own source; samples with none (socket reads and HTTP parsing
 * run straight from the event loop) are charged by the node: module they are in.
 */
import { PACKAGES, type Attribution } from './cpu-profile.js';

const OWNERS: Array<[RegExp, string]> = [
  [PACKAGES.sql, 'SQL: kysely + driver'],
  [/node_modules\/ws\//, 'WebSocket: ws'],
  [/node_modules\/(standardwebhooks|@stablelib|fast-sha256)\/|\/sdk-ts\/src\/signing\//, 'webhook signing (HMAC)'],
  [/\/api\/src\/crypto\//, 'secret box / AES-GCM'],
  [/\/api\/src\/net\//, 'webhook HTTP client (net/)'],
  [/node_modules\/undici\//, 'webhook HTTP client: undici'],
  [/\/api\/src\/(workers|webhooks)\//, 'webhook worker + queue'],
  [/\/api\/src\/(realtime|events)\//, 'realtime hub + event bus'],
  [PACKAGES.mailauth, 'inbound: verify (mailauth)'],
  [PACKAGES.mailparser, 'inbound: parse (mailparser)'],
  [/node_modules\/(smtp-server|nodemailer|ipv6-normalize|base32\.js)\//, 'inbound: smtp-server'],
  [/\/relay\/src\/|\/api\/src\/inbound\//, 'inbound: e2a code'],
  [PACKAGES.pino, 'logging: pino'],
  [/node_modules\/zod\//, 'zod'],
  [/\/(api|sdk-ts)\/src\//, 'e2a code (other)'],
  [/\/bench\//, 'bench harness'],
  [/^node:inspector/, 'profiler'],
  [/node_modules\//, 'other packages'],
];

const NODE_MODULES: Array<[RegExp, string]> = [
  [/^node:_http_|^node:http$|^node:internal\/http/, 'node:http (client, parser)'],
  [/^node:net$|^node:internal\/stream_base_commons|^node:internal\/net|^node:dns|^node:internal\/dns/, 'node:net sockets'],
  [/^node:internal\/crypto|^node:crypto/, 'node:crypto'],
  [/^node:internal\/timers|^node:timers/, 'timers'],
];

export const DELIVERY_ATTRIBUTION: Attribution = { stages: OWNERS, fallbacks: NODE_MODULES, top: 20 };
