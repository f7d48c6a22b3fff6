/**
 * Browser tests of the dashboard: Debian's chromium driven by playwright-core, a fresh profile per
 * launch, signing in the way a person does (a one-time sign-in link), and an axe-core check.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe } from 'vitest';
import type { TestGateway } from '../../../api/src/testing/gateway.js';

export const CHROMIUM = process.env.E2A_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or null. CI installs Debian's chromium (.ci/run) and sets
 * E2A_REQUIRE_BROWSER=1, so there a missing browser fails the suite; elsewhere (a laptop without
 * chromium) the browser suites are skipped, and their names say why and how to install it.
 */
export const BROWSER_MISSING = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install chromium, or set E2A_TEST_CHROMIUM)`;
const skipped = BROWSER_MISSING !== null && process.env.E2A_REQUIRE_BROWSER !== '1';
export const describeBrowser = describe.skipIf(skipped);
/** Appended to a browser suite's name: the reason when it is skipped. */
export const skipNote = skipped ? ` [skipped: ${BROWSER_MISSING}]` : '';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Everything the page printed to the console and every dialog it opened. */
  console: string[];
  dialogs: string[];
  close(): Promise<void>;
}

/** Chromium on a fresh --user-data-dir (a persistent context is how playwright takes one). */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'e2a-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return {
    context,
    page,
    console: consoleLines,
    dialogs,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Signs the page in through a real one-time link (POST /v1/account/sign-in-links with the account
 * key), then waits for the dashboard to show its navigation.
 */
export async function signIn(page: Page, gw: TestGateway): Promise<void> {
  const res = await gw.api('/v1/account/sign-in-links', { method: 'POST', body: '{}' });
  if (res.status !== 201) throw new Error(`sign-in link: HTTP ${res.status} ${await res.text()}`);
  const { url } = (await res.json()) as { url: string };
  // The link carries public_url; the test gateway listens on an ephemeral port.
  const link = new URL(new URL(url).pathname, gw.gateway.httpUrl);
  await page.goto(link.href);
  await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * Runs axe-core on the page and returns its serious and critical violations. The source goes in
 * through the DevTools protocol (page.evaluate), which the page's CSP does not govern, so the
 * dashboard is checked under its real policy.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
