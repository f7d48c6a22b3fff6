/**
 * `npm run bench -- dashboard [--engine pglite|postgres] [--reviews 10000] [--cold 3] [--warm 5]`:
 * how long a reviewer waits for a usable review queue when many items are held.
 *
 * A gateway (bench-gateway.ts; PGlite, or a fresh PostgreSQL database with --engine postgres) gets
 * `--reviews` held outbound messages through the real send path (POST /v1/agents/{address}/messages
 * on an agent whose outbound allowlist is empty and whose action is review), so every row is what a
 * real hold writes: message, sealed draft, review, magic-link tokens, notification, event.
 *
 * Chromium (/usr/bin/chromium, E2A_TEST_CHROMIUM overrides) is given a dashboard session (the
 * cookies a real sign-in link sets) and opens `/#/reviews`. Measured in the page, from navigation
 * start (performance.timeOrigin): the first item's Approve button enabled, and the first item's
 * checkbox changed by a click (the `change` event's timeStamp), i.e. the queue is interactive.
 * Cold runs start from a fresh profile (empty HTTP cache); warm runs navigate again in the last one.
 * Also printed: the JavaScript and CSS a first load ships (index.html's own files), raw and gzip.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type BrowserContext } from 'playwright-core';
import { COMMON_OPTIONS, int, machineInfo, saveResults, startResults } from './bench-cli.js';
import { resolveEngines } from './bench-database.js';
import { BENCH_DOMAIN, startBenchGateway, type BenchGateway } from './bench-gateway.js';
import { machineBusyCores } from './cpu-usage.js';
import { fixed, formatTable } from './table.js';

export const DASHBOARD_USAGE = 'usage: npm run bench -- dashboard [--engine pglite|postgres] [--reviews 10000] [--cold 3] [--warm 5] [--concurrency 8]';

const CHROMIUM = process.env.E2A_TEST_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const DIST = join(import.meta.dirname, '../dashboard/dist');
const bot = `bot@${BENCH_DOMAIN}`;

interface Run {
  cache: 'cold' | 'warm';
  /** Navigation start → the HTML response's end. */
  htmlMs: number;
  /** Navigation start → DOMContentLoaded (the bundle ran). */
  domContentLoadedMs: number;
  /** Navigation start → the first item's Approve button in the document and enabled. */
  approveEnabledMs: number;
  /** Navigation start → the first item's checkbox `change` event after a click: interactive. */
  interactiveMs: number;
  /** Items on the first page. */
  items: number;
  /** The requests (API, assets) the page made before it was interactive: path, start and end (navigation clock). */
  api: Array<{ path: string; startMs: number; endMs: number }>;
}

/** Holds `count` outbound messages through the API, `concurrency` requests at a time. */
async function seedHolds(bench: BenchGateway, count: number, concurrency: number): Promise<number> {
  await bench.api('POST', '/v1/agents', { local_part: 'bot' });
  await bench.api('PUT', `/v1/agents/${bot}/protection`, { outbound: { policy: 'allowlist', allowlist: [], action: 'review' }, holds: { ttl_seconds: 7 * 86_400 } });
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const sent = await bench.api<{ status: string }>('POST', `/v1/agents/${bot}/messages`, {
        to: [`customer${i}@partner.example`],
        subject: `Quote ${i} for order #${100000 + i}`,
        text: `Hello,\n\nthe quote for order #${100000 + i} is ${(i % 97) * 13 + 120} EUR, valid for 30 days.\n\nBest regards,\nthe bot`,
      });
      if (sent.status !== 'pending_review') throw new Error(`send ${i} was not held: ${sent.status}`);
      if ((i + 1) % 1000 === 0) process.stderr.write(`bench dashboard: ${i + 1} held …\n`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const { pending } = await bench.api<{ pending: number }>('GET', '/v1/reviews/count');
  if (pending !== count) throw new Error(`expected ${count} pending reviews, the API counts ${pending}`);
  return performance.now() - started;
}

/** The cookies a sign-in link sets (GET /sign-in/{token} answers 303 with Set-Cookie), for a browser context. */
async function sessionCookies(bench: BenchGateway): Promise<Parameters<BrowserContext['addCookies']>[0]> {
  const { url } = await bench.api<{ url: string }>('POST', '/v1/account/sign-in-links', {});
  const res = await fetch(new URL(new URL(url).pathname, bench.gateway.httpUrl), { redirect: 'manual' });
  if (res.status !== 303) throw new Error(`sign-in link: HTTP ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((line) => {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair!.indexOf('=');
    const has = (name: string) => attrs.some((a) => a.toLowerCase() === name);
    const sameSite = attrs.find((a) => a.toLowerCase().startsWith('samesite='))?.split('=')[1]?.toLowerCase();
    return {
      name: pair!.slice(0, eq),
      value: pair!.slice(eq + 1),
      url: bench.gateway.httpUrl,
      httpOnly: has('httponly'),
      secure: has('secure'),
      sameSite: sameSite === 'strict' ? 'Strict' : sameSite === 'none' ? 'None' : 'Lax',
    } as const;
  });
}

/**
 * Runs in the page before its own scripts (through the DevTools protocol, so the dashboard's CSP
 * does not govern it): notes, on the page's clock, when the first item's Approve button is first
 * in the document and enabled, and when a checkbox first fires `change`. A string, not a function:
 * tsx's transform would put helpers in a function's source that the page does not have.
 */
const WATCH_QUEUE = `(() => {
  const observer = new MutationObserver(() => {
    const article = document.querySelector('article[data-review-id]');
    const button = article && [...article.querySelectorAll('button')].find((b) => b.textContent === 'Approve');
    if (button && !button.disabled && window.__e2aApproveAt === undefined) {
      window.__e2aApproveAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
  document.addEventListener('change', (e) => { if (window.__e2aChangeAt === undefined) window.__e2aChangeAt = e.timeStamp; }, { capture: true });
})();`;

/** One navigation to the review queue, measured in the page against its navigation start. */
async function measureOnce(context: BrowserContext, base: string, cache: Run['cache']): Promise<Run> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto('about:blank');
  await page.goto(`${base}/#/reviews`, { waitUntil: 'commit' });
  const first = page.locator('article[data-review-id]').first();
  // As a person would: wait for the first item's Approve button to be usable, then select the item.
  await first.getByRole('button', { name: 'Approve', exact: true, disabled: false }).waitFor({ timeout: 60_000 });
  const box = first.getByRole('checkbox');
  await box.click();
  if (!(await box.isChecked())) throw new Error('the first item did not get selected');
  const timing = await page.evaluate(() => {
    const w = window as unknown as { __e2aApproveAt?: number; __e2aChangeAt?: number };
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return {
      htmlMs: nav.responseEnd,
      domContentLoadedMs: nav.domContentLoadedEventEnd,
      approveEnabledMs: w.__e2aApproveAt ?? NaN,
      interactiveMs: w.__e2aChangeAt ?? NaN,
      items: document.querySelectorAll('article[data-review-id]').length,
      api: (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .filter((r) => /^\/(v1|assets)\//.test(new URL(r.name).pathname) && r.responseEnd <= (w.__e2aApproveAt ?? Infinity))
        .map((r) => ({ path: new URL(r.name).pathname + new URL(r.name).search, startMs: r.startTime, endMs: r.responseEnd })),
    };
  });
  return { cache, ...timing };
}

/** Waits until the notification worker has taken every queued review notification (it sends none here: no relay). */
async function settleNotifications(bench: BenchGateway): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const row = await bench.gateway.database.db.selectFrom('system_mail').select((eb) => eb.fn.countAll<string | number>().as('n')).where('status', '=', 'queued').executeTakeFirstOrThrow();
    if (Number(row.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row.n} review notifications still queued after 10 minutes`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function newContext(cookies: Parameters<BrowserContext['addCookies']>[0]): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'e2a-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 } });
  await context.addCookies(cookies);
  await context.addInitScript({ content: WATCH_QUEUE });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What index.html loads on a first visit (scripts, module preloads, stylesheets), raw and gzip bytes. */
export function firstLoadBytes(dist = DIST): { files: Array<{ file: string; raw: number; gzip: number }>; js: { raw: number; gzip: number }; css: { raw: number; gzip: number } } {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const files = [...new Set(refs)].map((file) => {
    const bytes = readFileSync(join(dist, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  const sum = (ext: string) => files.filter((f) => f.file.endsWith(ext)).reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip }), { raw: 0, gzip: 0 });
  return { files, js: sum('.js'), css: sum('.css') };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const range = (xs: number[]): string => `${fixed(Math.min(...xs), 0)}–${fixed(Math.max(...xs), 0)}`;

export async function dashboardMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...COMMON_OPTIONS, reviews: { type: 'string', default: '10000' }, cold: { type: 'string', default: '3' }, warm: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '8' } },
  });
  if (values.help) {
    process.stdout.write(`${DASHBOARD_USAGE}\n`);
    return 0;
  }
  const engines = resolveEngines(values.engine ?? (process.env.E2A_BENCH_DATABASE_URL ? 'postgres' : 'pglite'));
  if (engines.length !== 1) throw new Error('--engine takes pglite or postgres: one gateway per run');
  const engine = engines[0]!;
  const reviews = int('reviews', values.reviews, 1);
  const coldRuns = int('cold', values.cold, 1);
  const warmRuns = int('warm', values.warm, 0);
  const concurrency = int('concurrency', values.concurrency, 1);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium, or set E2A_TEST_CHROMIUM)`);
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('dashboard/dist is not built: run npm run build -w dashboard first');

  const stamp = startResults();
  const bundle = firstLoadBytes();
  const bench = await startBenchGateway(engine);
  const runs: Run[] = [];
  let seedMs = NaN;
  let busyBefore: number | null = null;
  try {
    process.stderr.write(`bench dashboard: holding ${reviews} outbound messages on ${engine} …\n`);
    seedMs = await seedHolds(bench, reviews, concurrency);
    process.stderr.write(`bench dashboard: ${reviews} held in ${fixed(seedMs / 1000, 1)} s; letting the notification worker settle …\n`);
    await settleNotifications(bench);
    busyBefore = await machineBusyCores(1000);
    const cookies = await sessionCookies(bench);
    for (let i = 0; i < coldRuns; i++) {
      const browser = await newContext(cookies);
      try {
        runs.push(await measureOnce(browser.context, bench.gateway.httpUrl, 'cold'));
        if (i === coldRuns - 1) for (let j = 0; j < warmRuns; j++) runs.push(await measureOnce(browser.context, bench.gateway.httpUrl, 'warm'));
      } finally {
        await browser.close();
      }
    }
  } finally {
    await bench.close();
  }

  const kb = (n: number) => fixed(n / 1000, 1);
  process.stdout.write(
    `\ndashboard: review queue with ${reviews} held items, ${engine}, navigation start → …, ms (machine busy before: ${fixed(busyBefore, 2)} cores; seeding took ${fixed(seedMs / 1000, 1)} s)\n`,
  );
  const rows = (['cold', 'warm'] as const)
    .map((cache) => runs.filter((r) => r.cache === cache))
    .filter((rs) => rs.length > 0)
    .map((rs) => [
      rs[0]!.cache,
      String(rs.length),
      fixed(median(rs.map((r) => r.htmlMs)), 0),
      fixed(median(rs.map((r) => r.domContentLoadedMs)), 0),
      fixed(median(rs.map((r) => r.approveEnabledMs)), 0),
      `${fixed(median(rs.map((r) => r.interactiveMs)), 0)} (${range(rs.map((r) => r.interactiveMs))})`,
      String(rs[0]!.items),
    ]);
  process.stdout.write(`${formatTable(['cache', 'runs', 'HTML', 'DOMContentLoaded', 'Approve enabled', 'interactive (min–max)', 'items on page'], rows)}\n`);
  const last = runs.filter((r) => r.cache === 'cold').at(-1);
  if (last) {
    process.stdout.write(`\nRequests before the last cold run was usable (ms from navigation start):\n`);
    process.stdout.write(`${formatTable(['request', 'start', 'end'], last.api.map((a) => [a.path, fixed(a.startMs, 0), fixed(a.endMs, 0)]))}\n`);
  }
  process.stdout.write(
    `\nfirst load: JS ${kb(bundle.js.raw)} KB raw, ${kb(bundle.js.gzip)} KB gzip; CSS ${kb(bundle.css.raw)} KB raw, ${kb(bundle.css.gzip)} KB gzip (${bundle.files.map((f) => f.file).join(', ')})\n`,
  );
  saveResults('dashboard', stamp, { ...machineInfo(), busyBefore, engine, reviews, seedMs }, [{ bundle, runs }]);
  return 0;
}
