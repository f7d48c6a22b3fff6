/**
 * Realtime delivery as one unit for the composition root: the WebSocket server (upgrades, auth,
 * frames) around the hub (events → listeners), stopped together. The hub is built first, by the
 * composition root, because the metrics that count its listeners exist before the HTTP edge does.
 */
import type { IncomingMessage, Server } from 'node:http';
import { CLOSE } from '@e2a/sdk/wire';
import type { Logger } from 'pino';
import type { AccountsService } from '../accounts/service.js';
import type { AgentsService } from '../agents/service.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/bus.js';
import type { RevocationFeed } from '../events/revocations.js';
import type { HttpLimits } from '../limits/http-limits.js';
import { CredentialWatch } from './credential-watch.js';
import { RealtimeHub } from './hub.js';
import { RealtimeRepo } from './repo.js';
import { RealtimeServer } from './server.js';

export interface Realtime {
  readonly hub: RealtimeHub;
  readonly server: RealtimeServer;
  readonly credentials: CredentialWatch;
  /** Takes WebSocket upgrades on this HTTP server. */
  attach(http: Server): void;
  /** Closes listeners with 1001, stops timers and waits for in-flight queries. Bounded in time. */
  stop(): Promise<void>;
}

/** The hub alone, built before the WebSocket server: its listener count is a metric from the start. */
export function createRealtimeHub(deps: { db: Database; bus: EventBus; clock: Clock; logger: Logger; config: Config['realtime'] }): RealtimeHub {
  return new RealtimeHub({ repo: new RealtimeRepo(deps.db), bus: deps.bus, clock: deps.clock, logger: deps.logger, pollIntervalMs: deps.config.poll_interval_ms });
}

export function createRealtime(deps: {
  /** Owned from here on: stop() stops it. */
  hub: RealtimeHub;
  db: Database;
  bus: EventBus & RevocationFeed;
  accounts: AccountsService;
  agents: AgentsService;
  clock: Clock;
  logger: Logger;
  config: Config['realtime'];
  /** WebSocket rate limits (limits/http-limits.ts) and the per-agent listener cap (0: none). */
  limits: HttpLimits;
  maxListenersPerAgent: number;
  clientIp(req: IncomingMessage): string;
  /** config.public_url (the dashboard's origin). */
  publicUrl?: string;
}): Realtime {
  const { config, logger, hub } = deps;
  const repo = new RealtimeRepo(deps.db);
  // Expiry is judged by the injected clock (docs/EPHEMERAL.md), as everywhere else.
  const check = { invalidAmong: (keyIds: string[], agentIds: string[]) => repo.invalidAmong(keyIds, agentIds, deps.clock.now()) };
  const credentials = new CredentialWatch({ feed: deps.bus, check, intervalMs: config.credential_check_interval_ms, logger });
  const server = new RealtimeServer({
    hub,
    credentials,
    authenticate: (credential) => deps.accounts.principalFor(credential),
    resolveAgent: (principal, address) => deps.agents.resolve(principal, address),
    async admit(principal, agentId) {
      const refused = await deps.limits.websocket({ ip: '', keyId: principal.keyId });
      if (refused) return { code: CLOSE.rateLimited, reason: refused.message.slice(0, 120) };
      const cap = deps.maxListenersPerAgent;
      if (cap > 0 && credentials.heldForAgent(agentId) >= cap) {
        return { code: CLOSE.tooManyListeners, reason: `this agent already has ${cap} listeners open here (api_limits.max_listeners_per_agent)` };
      }
      return null;
    },
    limitUnauthenticated: (ip) => deps.limits.websocket({ ip, keyId: null }),
    clientIp: deps.clientIp,
    publicUrl: deps.publicUrl,
    logger,
    pingIntervalMs: config.ping_interval_ms,
    authTimeoutMs: config.auth_timeout_ms,
  });
  return {
    hub,
    server,
    credentials,
    attach: (http) => server.attach(http),
    async stop() {
      await server.close();
      await credentials.stop();
      await hub.stop();
    },
  };
}
