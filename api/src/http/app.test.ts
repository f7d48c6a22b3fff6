/**
 * The order of the express application: the route table answers first, extra handlers (MCP, the
 * static dashboard) see only what no route answered, and the not-found envelope comes last.
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountsService } from '../accounts/service.js';
import { systemClock } from '../clock.js';
import { fileURLToPath } from 'node:url';
import { mountDashboard } from '../system/dashboard.js';
import { openTestDatabase, type TestDatabase } from '../testing/databases.js';
import { createHttpApp } from './app.js';
import { RouteTable } from './route.js';
import { httpLimitsOff } from '../testing/http-limits.js';

const PUBLIC_DIR = fileURLToPath(new URL('../../../dashboard/public', import.meta.url));
const INDEX_HTML = readFileSync(`${PUBLIC_DIR}/index.html`, 'utf8');

describe('HTTP application order', () => {
  let db: TestDatabase;
  let server: Server;
  let base: string;
  const mounted: string[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('pglite', { migrate: false });
    const routes = new RouteTable();
    routes.add({ method: 'get', path: '/v1/ping', operationId: 'test.ping', summary: 'ping', tag: 'test', auth: 'none' }, async () => ({ ok: true }));
    const app = createHttpApp({ limits: httpLimitsOff(),
      routes,
      accounts: new AccountsService({ db: db.handle.db, clock: systemClock }),
      logger: pino({ level: 'silent' }),
      maxBodyBytes: 1 << 20,
      trustProxy: false,
      mount: (app) => {
        app.use((req, _res, next) => {
          mounted.push(req.path);
          next();
        });
        mountDashboard(app, { distDir: PUBLIC_DIR });
      },
    });
    server = createServer(app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server?.close();
    await db?.drop();
  });

  it('answers API routes without passing through the mounted handlers', async () => {
    mounted.length = 0;
    const res = await fetch(`${base}/v1/ping`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(mounted).toEqual([]);
  });

  it('serves the dashboard at /', async () => {
    mounted.length = 0;
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe(INDEX_HTML);
    expect(mounted).toEqual(['/']);
  });

  it('ends with the not-found envelope for what nothing answered', async () => {
    const res = await fetch(`${base}/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found', message: 'no route for GET /v1/nothing-here' } });
  });
});
