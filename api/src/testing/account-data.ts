/**
 * Test fixture: an account with rows in every table that can hold an account's data, made through
 * the real paths wherever there is one (SMTP for inbound mail, the API for the rest, the workers for
 * what they write), for the export and erasure tests (docs/DATA.md). Each account's strings carry its
 * label, so a test can look for one account's data wherever the other's should be alone.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { mimeWithAttachment } from '../messages/hidden-mail-fixtures.js';
import { TEST_DOMAIN, type TestGateway } from './gateway.js';
import { deliver } from './mail.js';
import { until } from './until.js';

type Json = Record<string, unknown>;

export interface AccountData {
  label: string;
  userId: string;
  email: string;
  accountKey: string;
  /** The agents: `bot` receives and sends, `peer` receives from bot, `spare` is deleted in tests. */
  bot: string;
  peer: string;
  spare: string;
  agentKey: string;
  webhookSecret: string;
  /** Subjects of mail this account received, each unique to it. */
  subjects: string[];
  /** A delivered message of bot's (its API id). */
  messageId: string;
}

/** Everything `label`'s account (`key`, `userId`) should have; `outbox` mode lets an external send be captured. */
export async function populateAccount(gw: TestGateway, opts: { label: string; key: string; userId: string; email: string }): Promise<AccountData> {
  const { label, key } = opts;
  const db = gw.gateway.database.db;
  const call = async (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; key?: string } = {}): Promise<Json> => {
    const res = await gw.api(path, { method: init.method ?? 'GET', key: init.key ?? key, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }), ...(init.headers ? { headers: init.headers } : {}) });
    const text = await res.text();
    expect(res.status, `${init.method ?? 'GET'} ${path}: ${text}`).toBeLessThan(300);
    return text ? (JSON.parse(text) as Json) : {};
  };
  const mark = () => `${label}-${randomBytes(4).toString('hex')}`;
  const [bot, peer, spare] = ['bot', 'peer', 'spare'].map((n) => `${label}-${n}@${TEST_DOMAIN}`) as [string, string, string];
  for (const address of [bot, peer, spare]) await call('/v1/agents', { method: 'POST', body: { address } });
  const agentKey = (await call('/v1/account/api-keys', { method: 'POST', body: { scope: 'agent', agent_address: bot, name: `${label} agent key` } })).key as string;
  await call('/v1/account/api-keys', { method: 'POST', body: { scope: 'agent', agent_address: spare, name: `${label} spare key` } });

  // Inbound mail over SMTP: plain, with an attachment, and one for the spare agent.
  const subjects: string[] = [];
  for (const to of [bot, bot, spare]) {
    const subject = mark();
    subjects.push(subject);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [to], mimeWithAttachment({ to, subject, body: `body of ${subject}`, messageId: `${subject}@example.com` }));
  }
  const messageId = (await db.selectFrom('messages').select('id').where('subject', '=', subjects[0]!).executeTakeFirstOrThrow()).id;

  // A webhook (its deliveries queue behind every later event), a card, a list, a contact request.
  const webhook = await call('/v1/webhooks', { method: 'POST', body: { url: `https://hooks.example.com/${label}`, description: `${label} hook` } });
  await call(`/v1/agents/${bot}/card`, { method: 'PUT', body: { description: `${label} card`, skills: [`${label}-skill`] } });
  const list = await call('/v1/lists', { method: 'POST', body: { local_part: `${label}-list`, post_policy: 'members' } });
  for (const member of [bot, spare]) await call(`/v1/lists/${list.address as string}/members`, { method: 'POST', body: { agent_address: member } });
  await call(`/v1/agents/${spare}/contacts`, { method: 'POST', body: { address: `partner-${label}@example.net`, note: `${label} contact` } });
  await call(`/v1/agents/${peer}/contacts`, { method: 'POST', body: { address: spare, note: `${label} local contact` } });
  await call('/v1/domains', { method: 'POST', body: { name: `${label}.example` } });

  // Agent to agent on this gateway, and to the outside (captured in the outbox), once with an
  // Idempotency-Key; the spare agent sends too.
  const sent = mark();
  subjects.push(sent);
  await call(`/v1/agents/${bot}/messages`, { method: 'POST', key: agentKey, body: { to: [peer], subject: sent, text: `local ${sent}` } });
  await call(`/v1/agents/${spare}/messages`, { method: 'POST', body: { to: [`partner-${label}@example.net`], subject: `${label} out`, text: 'to the outside' }, headers: { 'idempotency-key': `${label}-send-1` } });
  await until(`${label}'s sends done`, async () => {
    const pending = await db.selectFrom('messages as m').innerJoin('agents as a', 'a.id', 'm.agent_id').select('m.id').where('a.user_id', '=', opts.userId).where('m.status', '=', 'queued').execute();
    return pending.length === 0;
  });

  // Held mail (a review, its magic-link tokens and the reviewer's notification as system mail).
  await call(`/v1/agents/${spare}/protection`, { method: 'PUT', body: { inbound: { policy: 'allowlist', allowlist: [], action: 'review' } } });
  const held = mark();
  subjects.push(held);
  await deliver(gw.gateway.smtpPort, 'mallory@example.com', [spare], mimeWithAttachment({ to: spare, subject: held, body: `held ${held}`, messageId: `${held}@example.com` }));

  // Rows that reference the agent by foreign key only, in tables the erasure finds in the catalog
  // (labels, saved drafts), where the served API has them.
  const paths = ((await (await gw.api('/v1/openapi.json', { key: null })).json()) as { paths: Record<string, unknown> }).paths;
  if ('/v1/agents/{address}/messages/{id}/labels' in paths) await call(`/v1/agents/${spare}/messages/${(await db.selectFrom('messages').select('id').where('subject', '=', subjects[2]!).executeTakeFirstOrThrow()).id}/labels`, { method: 'POST', body: { add: [`${label}-label`] } });
  if ('/v1/agents/{address}/drafts' in paths) await call(`/v1/agents/${spare}/drafts`, { method: 'POST', body: { to: [`partner-${label}@example.net`], subject: `${label} draft`, text: 'later' } });

  // A dashboard session, opened with a sign-in link, and a second link left unused.
  const link = await call('/v1/account/sign-in-links', { method: 'POST', body: {} });
  expect((await fetch(`${gw.gateway.httpUrl}${new URL(link.url as string).pathname}`, { redirect: 'manual' })).status).toBe(303);
  await call('/v1/account/sign-in-links', { method: 'POST', body: {} });

  return { label, userId: opts.userId, email: opts.email, accountKey: key, bot, peer, spare, agentKey, webhookSecret: webhook.secret as string, subjects, messageId };
}

/** A second account on the same gateway, populated like the first. */
export async function otherAccount(gw: TestGateway, label: string): Promise<AccountData> {
  const email = `${label}@example.org`;
  const boot = await gw.gateway.accounts.bootstrap(email);
  return populateAccount(gw, { label, key: boot.apiKey.key, userId: boot.userId, email });
}

/** Tables of the schema, read from information_schema, so a table added later is in every sweep. */
export async function allTables(gw: TestGateway): Promise<string[]> {
  const rows = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(gw.gateway.database.db);
  return rows.rows.map((r) => r.table_name);
}

/** Every row, in any table, whose text form contains one of `needles` (case-insensitive), as `table: row`. */
export async function rowsMentioning(gw: TestGateway, needles: string[]): Promise<string[]> {
  if (needles.length === 0) return [];
  const pattern = needles.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const found: string[] = [];
  for (const table of await allTables(gw)) {
    const rows = await sql<{ r: string }>`SELECT r::text AS r FROM ${sql.table(table)} AS r WHERE r::text ~* ${pattern}`.execute(gw.gateway.database.db);
    for (const row of rows.rows) found.push(`${table}: ${row.r.slice(0, 400)}`);
  }
  return found;
}
