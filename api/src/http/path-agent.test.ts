/**
 * A request naming an agent in its path (`/v1/agents/:address/…`) reads the key and that agent in one
 * statement (Principal.pathAgent), and AgentsService.resolve applies its access rules to that row
 * exactly as to one it queries.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createFakeResolver } from '@e2a/relay/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsService } from '../accounts/service.js';
import { AgentsRepo } from '../agents/repo.js';
import { agentRoutes } from '../agents/routes.js';
import { SecretBox } from '../crypto/secret-box.js';
import { erasureRoutes } from '../erasure/routes.js';
import { ErasureService } from '../erasure/service.js';
import { ReservedAddresses } from '../agents/reserved.js';
import { AgentsService } from '../agents/service.js';
import type { Clock } from '../clock.js';
import { protectionRoutes } from '../protection/routes.js';
import { ProtectionService } from '../protection/service.js';
import { SystemMailRecipients } from '../system/system-mail-recipients.js';
import { ENGINES, openTestDatabase, type TestDatabase } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { StatementLog } from '../testing/statement-log.js';
import { createHttpApp } from './app.js';
import { RouteTable } from './route.js';
import { httpLimitsOff } from '../testing/http-limits.js';
import { AccountCaps } from '../limits/account-caps.js';

/** AgentsRepo.findByAddress: the lookup a preloaded row saves. */
const AGENT_LOOKUP = 'select * from "agents" where "address" = $1';
const PATH_AGENT_JOIN = 'left join "agents" as "pa"';

describe.each(ENGINES)('the agent named in the path (%s)', (engine) => {
  const log = new StatementLog();
  let now = new Date('2030-01-01T00:00:00Z');
  const clock: Clock = { now: () => now };
  let db: TestDatabase;
  let server: Server;
  let base: string;
  let accounts: AccountsService;
  let agents: AgentsService;
  let ownerKey: string;
  let botKey: string;
  let strangerKey: string;
  let revokedKey: string;
  const bot = `bot@${TEST_DOMAIN}`;
  const other = `other@${TEST_DOMAIN}`;
  const stranger = `stranger@${TEST_DOMAIN}`;

  const request = async (path: string, key: string, init: RequestInit = {}) => {
    log.clear();
    const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
    const body = res.status === 204 ? null : ((await res.json()) as Record<string, any>);
    return { status: res.status, body, statements: [...log.statements] };
  };

  beforeAll(async () => {
    db = await openTestDatabase(engine);
    const counted = db.handle.db.withPlugin(log);
    accounts = new AccountsService({ db: counted, clock });
    agents = new AgentsService({ db: counted, clock, sharedDomain: TEST_DOMAIN, reserved: new ReservedAddresses({ sharedDomain: TEST_DOMAIN, sharedDomainReserved: [], systemAddresses: [] }), caps: new AccountCaps({ agents: 0, api_keys: 0, webhooks: 0 }), expiry: { maxTtlDays: 365 } });
    const routes = new RouteTable();
    agentRoutes(routes, agents);
    erasureRoutes(routes, new ErasureService({ db: counted, box: new SecretBox(Buffer.alloc(32, 7)), clock, agents, graceMs: 3_600_000, mailFrom: `review@${TEST_DOMAIN}`, wakeMail: () => {} }));
    protectionRoutes(routes, new ProtectionService({ db: counted, agents, systemMail: new SystemMailRecipients({ db: counted, sharedDomain: TEST_DOMAIN, clock }) }));
    server = createServer(createHttpApp({ limits: httpLimitsOff(), routes, accounts, logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, trustProxy: false }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    const owner = await accounts.bootstrap('owner@example.com');
    ownerKey = owner.apiKey.key;
    for (const local_part of ['bot', 'other']) {
      expect((await request('/v1/agents', ownerKey, { method: 'POST', body: JSON.stringify({ local_part }) })).status).toBe(201);
    }
    const botRow = await new AgentsRepo(db.handle.db).findByAddress(bot);
    botKey = (await accounts.issueKey(db.handle.db, owner.userId, { name: 'bot only', scope: 'agent', agentId: botRow!.id })).key;
    const revoked = await accounts.issueKey(db.handle.db, owner.userId, { name: 'revoked', scope: 'account', agentId: null });
    revokedKey = revoked.key;
    await accounts.revokeKey(await accounts.authenticate(ownerKey), revoked.id);
    const tenant = await accounts.bootstrap('someone-else@example.net');
    strangerKey = tenant.apiKey.key;
    expect((await request('/v1/agents', strangerKey, { method: 'POST', body: JSON.stringify({ local_part: 'stranger' }) })).status).toBe(201);
    // A jsonb value that is not the column default, so its round trip through the join shows.
    const protection = { inbound: { allowlist: ['@example.com'] }, holds: { ttl_seconds: 3600 } };
    expect((await request(`/v1/agents/${bot}/protection`, ownerKey, { method: 'PUT', body: JSON.stringify(protection) })).status).toBe(200);
    // Each key has been used now: within the minute no request records its use again.
    for (const key of [ownerKey, botKey, strangerKey]) await request('/v1/agents', key);
  });
  afterAll(async () => {
    server?.close();
    await db?.drop();
  });

  it('reads the key and the agent in one statement where two were needed', async () => {
    const got = await request(`/v1/agents/${bot}`, ownerKey);
    expect(got).toMatchObject({ status: 200, body: { address: bot } });
    expect(got.statements).toHaveLength(1);
    expect(got.statements[0]).toContain(PATH_AGENT_JOIN);
    expect((await request(`/v1/agents/${bot}/protection`, ownerKey)).statements).toHaveLength(1);

    // Authentication without the path's agent, then resolve: what every such request cost before.
    log.clear();
    await agents.resolve(await accounts.authenticate(ownerKey), bot);
    expect(log.statements).toHaveLength(2);
    expect(log.statements[1]).toBe(AGENT_LOOKUP);
  });

  it('loads the same row, with the same types, as the query resolve would run', async () => {
    const principal = await accounts.authenticate(ownerKey, { agentAddress: `  Bot@${TEST_DOMAIN.toUpperCase()} ` });
    const queried = await new AgentsRepo(db.handle.db).findByAddress(bot);
    expect(principal.pathAgent).toEqual({ address: bot, row: queried });
    expect(principal.pathAgent?.row?.created_at).toBeInstanceOf(Date);
    expect(principal.pathAgent?.row?.protection).toMatchObject({ inbound: { allowlist: ['@example.com'] }, holds: { ttl_seconds: 3600 } });
    expect((await accounts.authenticate(ownerKey, { agentAddress: `nobody@${TEST_DOMAIN}` })).pathAgent).toEqual({ address: `nobody@${TEST_DOMAIN}`, row: null });
    expect((await accounts.authenticate(ownerKey)).pathAgent).toBeUndefined();
  });

  it('keeps the access rules: another tenant, another agent and no agent are all not found', async () => {
    const cases = [
      { key: ownerKey, path: `/v1/agents/${stranger}` },
      { key: strangerKey, path: `/v1/agents/${bot}/protection` },
      { key: botKey, path: `/v1/agents/${other}` },
      { key: botKey, path: `/v1/agents/${other}/protection` },
      { key: ownerKey, path: `/v1/agents/nobody@${TEST_DOMAIN}` },
      { key: ownerKey, path: '/v1/agents/not-an-address' },
      // PostgreSQL text cannot hold U+0000: no agent has it, and the statement must not fail on it.
      { key: ownerKey, path: `/v1/agents/bot%00@${TEST_DOMAIN}` },
    ];
    for (const { key, path } of cases) {
      const got = await request(path, key);
      expect({ path, status: got.status, code: got.body?.error?.code }).toEqual({ path, status: 404, code: 'not_found' });
      expect(got.statements).toHaveLength(1);
    }
    expect((await request(`/v1/agents/${bot}`, botKey)).status).toBe(200);
    expect((await request(`/v1/agents/${encodeURIComponent(` BOT@${TEST_DOMAIN} `)}`, ownerKey)).body).toMatchObject({ address: bot });
    // Scope checks that follow resolve still hold.
    expect((await request(`/v1/agents/${bot}`, botKey, { method: 'DELETE' })).status).toBe(403);
    expect((await request(`/v1/agents/${bot}/protection`, botKey, { method: 'PUT', body: '{}' })).status).toBe(403);
  });

  it('still refuses unknown and revoked keys on an agent path', async () => {
    expect(await request(`/v1/agents/${bot}`, revokedKey)).toMatchObject({ status: 401, body: { error: { message: expect.stringContaining('revoked') } } });
    expect(await request(`/v1/agents/${bot}`, 'e2a_not-a-real-key')).toMatchObject({ status: 401, body: { error: { message: 'unknown API key' } } });
    expect((await request(`/v1/agents/bot%00@${TEST_DOMAIN}`, 'e2a_not-a-real-key')).status).toBe(401);
  });

  it('queries when the principal carries another address, or none', async () => {
    const principal = await accounts.authenticate(ownerKey, { agentAddress: bot });
    log.clear();
    expect((await agents.resolve(principal, bot)).address).toBe(bot);
    expect(log.statements).toEqual([]);
    expect((await agents.resolve(principal, other)).address).toBe(other);
    expect(log.statements).toEqual([AGENT_LOOKUP]);
  });

  it('records a key’s use at most once a minute, as before', async () => {
    now = new Date(now.getTime() + 61_000);
    const first = await request(`/v1/agents/${bot}`, ownerKey);
    expect(first.statements).toHaveLength(2);
    expect(first.statements[1]).toMatch(/^update "api_keys" set "last_used_at"/);
    expect((await request(`/v1/agents/${bot}`, ownerKey)).statements).toHaveLength(1);
  });
});

describe.each(ENGINES)('sending as the agent in the path (%s)', (engine) => {
  const log = new StatementLog();
  let gw: TestGateway;
  const agent = `ada@${TEST_DOMAIN}`;

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: { E2A_OUTBOUND_SMTP_MODE: 'none' }, plugins: [log] });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'ada' }) })).status).toBe(201);
  });
  afterAll(() => gw?.close());

  it('POST /v1/agents/:address/messages finds its agent with the key, not with a query of its own', async () => {
    log.clear();
    const res = await gw.api(`/v1/agents/${agent}/messages`, { method: 'POST', body: JSON.stringify({ to: ['dana@example.com'], subject: 'hi', text: 'hello' }) });
    expect(res.status).toBe(202);
    // Workers share the handle, so only the statements a send itself would run are counted.
    expect(log.statements.filter((s) => s.includes(PATH_AGENT_JOIN))).toHaveLength(1);
    expect(log.statements.filter((s) => s === AGENT_LOOKUP)).toEqual([]);
  });
});
