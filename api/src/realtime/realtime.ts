/**
 * Realtime delivery as one unit for the composition root: the hub (events → listeners) and the
 * WebSocket server (upgrades, auth, frames) built together, stopped together.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { AccountsService } from '../accounts/service.js';
import type { AgentsService } from '../agents/service.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/bus.js';
import { RealtimeHub } from './hub.js';
import { RealtimeRepo } from './repo.js';
import { RealtimeServer } from './server.js';

export interface Realtime {
  readonly hub: RealtimeHub;
  readonly server: RealtimeServer;
  /** Takes WebSocket upgrades on this HTTP server. */
  attach(http: Server): void;
  /** Closes listeners with 1001, stops timers and waits for in-flight queries. Bounded in time. */
  stop(): Promise<void>;
}

export function createRealtime(deps: {
  db: Database;
  bus: EventBus;
  accounts: AccountsService;
  agents: AgentsService;
  clock: Clock;
  logger: Logger;
  config: Config['realtime'];
}): Realtime {
  const { config, logger } = deps;
  const hub = new RealtimeHub({ repo: new RealtimeRepo(deps.db), bus: deps.bus, clock: deps.clock, logger, pollIntervalMs: config.poll_interval_ms });
  const server = new RealtimeServer({
    hub,
    authenticate: (token) => deps.accounts.authenticate(token),
    resolveAgent: (principal, address) => deps.agents.resolve(principal, address),
    logger,
    pingIntervalMs: config.ping_interval_ms,
    authTimeoutMs: config.auth_timeout_ms,
  });
  return {
    hub,
    server,
    attach: (http) => server.attach(http),
    async stop() {
      await server.close();
      await hub.stop();
    },
  };
}
