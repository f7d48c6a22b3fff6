/**
 * The account screens in a real browser against a real gateway: a webhook that fails and is
 * replayed, a domain's DNS records, an API key created then revoked, the outbox showing a review
 * notification's magic link, the protection editor showing what the API stored, and axe-core on
 * every screen.
 */
import type { Resolver } from '@e2a/relay';
import { buildMessage, createFakeResolver } from '@e2a/relay/testing';
import type { ApiKeyPage, DashboardSessionList, Domain, OutboxMessage, OutboxPage, Protection, WebhookDeliveryPage, WebhookPage } from '@e2a/sdk/wire';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ENGINES } from '../../../api/src/testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../../../api/src/testing/gateway.js';
import { deliver } from '../../../api/src/testing/mail.js';
import { until } from '../../../api/src/testing/until.js';
import { startReceiver, type WebhookReceiver } from '../../../api/src/testing/webhook-receiver.js';
import { describeBrowser, launchBrowser, seriousA11yViolations, signIn, skipNote, type TestBrowser } from '../testing/browser.js';

const SCREENS = ['inboxes', `inboxes/${encodeURIComponent(`bot@${TEST_DOMAIN}`)}`, 'webhooks', 'events', 'domains', 'keys', 'outbox', 'settings'];
/** One failed attempt, one retry after at most 20 ms, then dead. */
const TWO_ATTEMPTS = { capsMs: [20], maxRetryAfterMs: 60_000 };

describeBrowser.each(ENGINES)('dashboard account screens (%s)' + skipNote, (engine) => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;
  let receiverFails = true;
  let browser: TestBrowser;
  let page: TestBrowser['page'];
  /** DNS TXT records the test publishes while the gateway runs (the fake zone is fixed at start). */
  const published = new Map<string, string>();
  const bot = `bot@${TEST_DOMAIN}`;

  const json = async <T>(path: string, init?: Parameters<TestGateway['api']>[1]): Promise<T> => {
    const res = await gw.api(path, init);
    expect(res.ok, `${path}: HTTP ${res.status}`).toBe(true);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: receiverFails ? 500 : 200 }));
    gw = await startTestGateway({
      engine,
      resolver: publishedOr(createFakeResolver({}), published),
      webhookSchedule: TWO_ATTEMPTS,
      env: {
        E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
        E2A_WEBHOOKS_POLL_INTERVAL_MS: '50',
        E2A_OUTBOUND_SMTP_MODE: 'outbox',
        E2A_OUTBOUND_POLL_INTERVAL_MS: '50',
      },
    });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
    // A contact request made of bot, for the Contacts panel (docs/CONTACTS.md).
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'friend' }) })).status).toBe(201);
    expect((await gw.api(`/v1/agents/friend@${TEST_DOMAIN}/contacts`, { method: 'POST', body: JSON.stringify({ address: bot, note: 'from a friend' }) })).status).toBe(202);
    browser = await launchBrowser();
    page = browser.page;
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.gateway.httpUrl });
    await signIn(page, gw);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await receiver?.close();
  });

  /** Opens a screen and waits until its heading is there and nothing is loading any more. */
  async function open(screen: string) {
    await page.goto(`${gw.gateway.httpUrl}/#/${screen}`);
    await page.locator('main h1').first().waitFor();
    await page.locator('.sk-loading').first().waitFor({ state: 'detached' });
  }

  it('creates a webhook (secret shown once), shows its failing delivery as dead with HTTP 500, and replays it to success', async () => {
    await open('webhooks');
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('email.received', { exact: true }).check();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const secret = page.getByRole('region', { name: 'Signing secret' });
    await expect.poll(() => secret.locator('code').textContent()).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await secret.waitFor({ state: 'detached' });
    const hook = (await json<WebhookPage>('/v1/webhooks')).items.find((w) => w.url === receiver.url)!;
    expect(hook.events).toEqual(['email.received']);

    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], buildMessage({ to: bot, subject: 'for the hook', messageId: `hook-${engine}@example.com` }));
    await until('the delivery dead', async () => (await json<WebhookDeliveryPage>(`/v1/webhooks/${hook.id}/deliveries`)).items.some((d) => d.status === 'dead'));
    expect(receiver.requests).toHaveLength(2);

    await page.getByRole('button', { name: 'Deliveries' }).click();
    const dead = page.locator('tr[data-delivery-status="dead"]');
    await dead.waitFor();
    await expect.poll(() => dead.textContent()).toContain('HTTP 500');
    expect(await dead.textContent()).toContain('email.received');
    expect(await page.getByRole('button', { name: 'Replay all dead (1)' }).isEnabled()).toBe(true);

    // The receiver's body is shown as text, collapsed under its first line.
    const excerpt = dead.locator('details.response-excerpt');
    expect(await excerpt.locator('summary').textContent()).toBe('ok');
    await excerpt.locator('summary').focus();
    await page.keyboard.press('Enter');
    expect(await excerpt.getAttribute('open')).not.toBeNull();
    expect(await seriousA11yViolations(page)).toEqual([]);

    receiverFails = false;
    await page.getByRole('button', { name: 'Replay all dead (1)' }).click();
    await page.getByText('Queued 1 dead delivery again.').waitFor();
    await receiver.waitFor(3);
    await until('the delivery succeeded', async () => (await json<WebhookDeliveryPage>(`/v1/webhooks/${hook.id}/deliveries`)).items.every((d) => d.status === 'succeeded'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    const succeeded = page.locator('tr[data-delivery-status="succeeded"]');
    await succeeded.waitFor();
    expect(await succeeded.textContent()).toContain('HTTP 200');
    // Response column: the code, then the latency.
    expect(await succeeded.locator('td').nth(2).innerText()).toMatch(/^HTTP 200\n\d+ ms$/);
    expect(await page.getByRole('button', { name: 'Replay all dead (0)' }).isDisabled()).toBe(true);
    // The replay resent the same event id.
    expect(receiver.requests[2]!.headers['webhook-id']).toBe(receiver.requests[0]!.headers['webhook-id']);

    // One delivery replays on its own too, from the keyboard.
    await succeeded.getByRole('button', { name: /^Replay event / }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Queued 1 event again.').waitFor();
    await receiver.waitFor(4);
    expect(receiver.requests[3]!.headers['webhook-id']).toBe(receiver.requests[0]!.headers['webhook-id']);

    // Disabled: the card says so and why nothing is sent.
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('note').getByText('It was disabled by hand').waitFor();
    expect((await json<WebhookPage>('/v1/webhooks')).items.find((w) => w.id === hook.id)!.enabled).toBe(false);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('note').waitFor({ state: 'detached' });
  });

  it("adds a domain and shows exactly the DNS records the API gives, copyable, with the ownership record not found yet", async () => {
    const name = `mail-${engine}.example.org`;
    await open('domains');
    await page.getByLabel('Domain name').fill(name);
    await page.getByRole('button', { name: 'Add domain' }).click();
    const table = page.getByRole('table', { name: `DNS records to publish for ${name}` });
    await table.waitFor();
    const stored = await json<Domain>(`/v1/domains/${name}`);
    expect(stored.dns_records.length).toBeGreaterThan(0);
    expect(await table.locator('[data-testid="dns-name"]').allTextContents()).toEqual(stored.dns_records.map((r) => r.name));
    expect(await table.locator('[data-testid="dns-value"]').allTextContents()).toEqual(stored.dns_records.map((r) => r.value));

    const ownership = stored.dns_records.find((r) => r.type === 'TXT' && r.purpose.startsWith('ownership'))!;
    await table.getByRole('button', { name: `Copy the TXT record value for ${ownership.name}` }).click();
    await table.getByText('Copied').first().waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(ownership.value);

    // Verify before publishing: the API's reason shows, and the ownership record is "not found".
    const card = page.getByRole('region', { name });
    const status = table.locator('tr', { hasText: ownership.value }).locator('[data-testid="dns-status"]');
    expect(await status.textContent()).toBe('not checked yet');
    await card.getByRole('button', { name: 'Verify now' }).click();
    await card.getByRole('alert').getByText(`must contain "${ownership.value}"`).waitFor();
    expect(await status.textContent()).toBe('not found (checked just now)');

    // Published: verifying succeeds, the record is found, and the DKIM key joins the records.
    published.set(ownership.name, ownership.value);
    await card.getByRole('button', { name: 'Verify now' }).click();
    await card.getByText(/^Verified/).waitFor();
    expect(await status.textContent()).toBe('found');
    const verified = await json<Domain>(`/v1/domains/${name}`);
    expect(verified.verified).toBe(true);
    await expect.poll(() => table.locator('[data-testid="dns-value"]').allTextContents()).toEqual(verified.dns_records.map((r) => r.value));
  });

  it('creates an account key shown once that works, then revokes it by keyboard and it stops working', async () => {
    await open('keys');
    await page.getByLabel('Name', { exact: true }).fill('ci-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('region', { name: 'API key' });
    const key = (await shown.locator('code').textContent())!;
    expect(key.length).toBeGreaterThan(20);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const row = page.locator('tr', { hasText: 'ci-key' });
    // Not used yet. (Checked before the key's first use: that use records a last-used time.)
    expect(await row.textContent()).toContain('never');
    expect((await gw.api('/v1/agents', { key })).status).toBe(200);
    // By keyboard: Enter on Revoke asks in the page with focus on the confirmation, Enter confirms.
    await row.getByRole('button', { name: 'Revoke key ci-key' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Revoke now');
    await page.keyboard.press('Enter');
    await row.getByText('Revoked').waitFor();
    expect((await gw.api('/v1/agents', { key })).status).toBe(401);
    const listed = (await json<ApiKeyPage>('/v1/account/api-keys')).items.find((k) => k.name === 'ci-key')!;
    expect(listed.revoked_at).not.toBeNull();
  });

  it('saves protection through the editor and shows what the API stored; the held mail’s magic link shows in the outbox', async () => {
    await open('inboxes');
    // The mail the webhook test delivered is unread.
    expect(await page.locator('tr', { hasText: bot }).locator('td:nth-child(3)').textContent()).toBe('1');
    // Create and delete an inbox.
    const temp = `temp@${TEST_DOMAIN}`;
    await page.getByLabel('Address or name on the shared domain').fill('temp');
    await page.getByRole('button', { name: 'Create inbox' }).click();
    const tempRow = page.locator('tr', { hasText: temp });
    await tempRow.waitFor();
    expect(await tempRow.locator('td:nth-child(3)').textContent()).toBe('0');
    await tempRow.getByRole('button', { name: `Delete ${temp}` }).click();
    await tempRow.getByRole('button', { name: 'Delete', exact: true }).click();
    await tempRow.waitFor({ state: 'detached' });
    // Deleted: disabled at once, erased when the grace period ends (docs/DATA.md).
    expect((await gw.api(`/v1/agents/${temp}`)).status).toBe(410);

    // An inbox's mail links to each message.
    await page.getByRole('link', { name: bot }).click();
    const mail = page.getByRole('link', { name: 'for the hook' });
    await mail.waitFor();
    const [listed] = (await json<{ items: Array<{ id: string }> }>(`/v1/agents/${bot}/messages`)).items;
    expect(await mail.getAttribute('href')).toBe(`#/messages/${encodeURIComponent(bot)}/${listed!.id}`);
    await page.getByRole('link', { name: 'All inboxes' }).click();

    await page.getByRole('button', { name: `Protection of ${bot}` }).click();
    const form = page.locator('form.protection-form');
    await form.waitFor();
    const outbound = form.getByRole('group', { name: /Outbound gate/ });
    await outbound.getByLabel('Policy').selectOption('allowlist');
    await outbound.getByLabel(/^Allowlist/).fill('  friend@partner.example \n\n');
    await outbound.getByLabel(/^Action/).selectOption('review');
    await form.getByLabel(/^Reviewer addresses/).fill('reviewer@example.com');
    await form.getByRole('button', { name: 'Save protection' }).click();
    await page.getByText('Saved. The form shows what the gateway stored.').waitFor();

    const stored = await json<Protection>(`/v1/agents/${bot}/protection`);
    expect(stored.outbound).toEqual({ policy: 'allowlist', allowlist: ['friend@partner.example'], action: 'review' });
    expect(stored.review_notify).toEqual(['reviewer@example.com']);
    await expect.poll(async () => JSON.parse((await page.locator('[data-testid="protection-stored"]').textContent())!)).toEqual(stored);
    expect(await outbound.getByLabel(/^Allowlist/).inputValue()).toBe('friend@partner.example');

    const res = await gw.api(`/v1/agents/${bot}/messages`, { method: 'POST', body: JSON.stringify({ to: ['x@partner.example'], subject: 'Needs a look', text: 'hello' }) });
    expect(((await res.json()) as { status: string }).status).toBe('pending_review');
    const item = await until('the review notification captured', async () => (await json<OutboxPage>('/v1/outbox')).items.find((i) => i.source === 'system_mail' && i.recipients.includes('reviewer@example.com')));
    const full = await json<OutboxMessage>(`/v1/outbox/${item.id}`);
    const link = full.links.find((l) => l.includes('/review/'))!;
    expect(link).toBeDefined();

    await open('outbox');
    const card = page.locator('li.card', { hasText: item.subject });
    await card.getByRole('button', { name: `Show “${item.subject}”` }).click();
    await card.getByRole('link', { name: link }).waitFor();
    expect(await card.getByRole('link', { name: link }).getAttribute('href')).toBe(link);
  });

  it('approves an incoming contact request from the agent page by keyboard, then revokes it', async () => {
    await open(`inboxes/${encodeURIComponent(bot)}`);
    const panel = page.getByRole('region', { name: 'Contacts' });
    const row = panel.locator('tr', { hasText: `friend@${TEST_DOMAIN}` });
    await expect.poll(() => row.textContent()).toContain('pending');
    expect(await row.textContent()).toContain('from a friend');
    await panel.getByRole('button', { name: `Approve contact with friend@${TEST_DOMAIN}` }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => row.textContent()).toContain('active');
    const listed = await json<{ items: Array<{ state: string }> }>(`/v1/agents/${bot}/contacts`);
    expect(listed.items.map((c) => c.state)).toEqual(['active']);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await panel.getByRole('button', { name: `Revoke contact with friend@${TEST_DOMAIN}` }).click();
    await expect.poll(() => row.textContent()).toContain('revoked');
  });

  it.each(SCREENS)('#/%s has no serious or critical axe-core violations', async (screen) => {
    await open(screen);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('filters the event log by type and by agent', async () => {
    const other = `other@${TEST_DOMAIN}`;
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'other' }) })).status).toBe(201);
    await deliver(gw.gateway.smtpPort, 'carol@example.com', [other], buildMessage({ to: other, from: 'carol@example.com', subject: 'for other', messageId: `other-${engine}@example.com` }));
    await open('events');
    const rows = page.locator('table tbody tr');
    await rows.filter({ hasText: 'for other' }).waitFor();
    expect(await rows.filter({ hasText: 'email.review_requested' }).count()).toBeGreaterThan(0);

    await page.getByRole('combobox', { name: /^Type/ }).selectOption('email.received');
    await expect.poll(async () => new Set((await rows.locator('td:nth-child(2)').allTextContents())).size === 1 && (await rows.count())).toBe(2);
    expect(await rows.locator('td:nth-child(2)').allTextContents()).toEqual(['email.received', 'email.received']);

    await page.getByRole('combobox', { name: /^Agent/ }).selectOption(other);
    await expect.poll(() => rows.locator('td:nth-child(3)').allTextContents()).toEqual([other]);
    expect(await rows.first().textContent()).toContain('carol@example.com');

    await page.getByRole('combobox', { name: /^Type/ }).selectOption('email.sent');
    await page.getByText('No events match these filters.').waitFor();
  });

  it('shows the account and its browser sessions, signs one other out, then signs out everywhere (last: it ends this session)', async () => {
    // A second session, opened by a plain HTTP client following its own sign-in link.
    const link = (await json<{ url: string }>('/v1/account/sign-in-links', { method: 'POST', body: '{}' })).url;
    const opened = await fetch(new URL(new URL(link).pathname, gw.gateway.httpUrl), { redirect: 'manual', headers: { 'user-agent': 'second-browser/1.0' } });
    expect(opened.status).toBe(303);

    await open('settings');
    expect(await page.getByTestId('account-email').textContent()).toBe('owner@example.com');
    const sessions = page.getByRole('table', { name: 'Signed-in browsers' }).locator('tbody tr');
    await expect.poll(() => sessions.count()).toBe(2);
    const current = sessions.filter({ hasText: '(this browser)' });
    expect(await current.count()).toBe(1);
    expect(await current.getByRole('button').count()).toBe(0);

    await sessions.filter({ hasText: 'second-browser/1.0' }).getByRole('button', { name: 'Sign out this browser' }).click();
    await expect.poll(() => sessions.count()).toBe(1);
    expect((await json<DashboardSessionList>('/v1/account/sessions')).items).toHaveLength(1);

    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('button', { name: 'Sign out all browsers' }).click();
    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor({ state: 'detached' });
    expect((await json<DashboardSessionList>('/v1/account/sessions')).items).toEqual([]);
  });
});

/** A resolver answering the TXT records in `published` first, then `base`. */
function publishedOr(base: Resolver, published: Map<string, string>): Resolver {
  return (async (name: string, rrtype: string) => {
    const value = published.get(name.toLowerCase());
    if (value !== undefined && rrtype.toUpperCase() === 'TXT') return [[value]];
    return base(name, rrtype);
  }) as Resolver;
}
