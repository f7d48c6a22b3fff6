import type { EventType } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';
import { collect } from '../repeatable.js';
import { limitOption, urlValue } from '../values.js';

export function webhookCommands(program: Command, ctx: () => Context): void {
  const webhooks = program.command('webhooks').description('signed HTTP callbacks for events (account key)');
  webhooks.command('list').action(async () => {
    const c = ctx();
    const page = await c.client().webhooks.list({ limit: 200 });
    c.print(page.items, () =>
      table(
        page.items.map((w) => ({ id: w.id, url: w.url, events: w.events.join(',') || 'all', enabled: w.enabled, disabled_reason: w.disabled_reason, last_success_at: w.last_success_at })),
        ['id', 'url', 'events', 'enabled', 'disabled_reason', 'last_success_at'],
      ),
    );
  });
  webhooks
    .command('create')
    .argument('<url>', 'https URL that receives the events', urlValue)
    .option('--event <type>', 'only this event type (repeatable; default all)', collect, [])
    .option('--agent <address>', 'only this agent (repeatable)', collect, [])
    .option('--description <text>', '', '')
    .addHelpText('after', '\nExample:\n  e2a webhooks create https://example.com/hooks/e2a --event email.received')
    .action(async (url: string, opts: { event: string[]; agent: string[]; description: string }) => {
      const c = ctx();
      const hook = await c.client().webhooks.create({
        url,
        events: opts.event as EventType[],
        filters: { agent_addresses: opts.agent, conversation_ids: [] },
        description: opts.description,
      });
      c.print(hook, () => `Created ${hook.id}\nSigning secret: ${hook.secret}\n(shown once; verify requests with it)`);
    });
  webhooks.command('delete <id>').action(async (id: string) => {
    const c = ctx();
    await c.client().webhooks.delete(id);
    c.print({ deleted: id }, () => `Deleted ${id}`);
  });
  webhooks
    .command('rotate <id>')
    .description('new signing secret; the old one keeps working for 24 hours')
    .action(async (id: string) => {
      const c = ctx();
      const hook = await c.client().webhooks.rotateSecret(id);
      c.print(hook, () => `New signing secret: ${hook.secret}`);
    });
  webhooks
    .command('test <id>')
    .description('send a signed test event to the webhook now and report what it answered')
    .action(async (id: string) => {
      const c = ctx();
      const result = await c.client().webhooks.test(id);
      c.print(result, () => (result.success ? `ok: the endpoint answered ${result.status} (event ${result.event_id})` : `failed: ${result.status === null ? 'no answer' : `HTTP ${result.status}`}${result.error ? ` (${result.error})` : ''} (event ${result.event_id})`));
      // A failed test is a finished command with a bad outcome: exit 1 after the report.
      if (!result.success) throw new CliError('', EXIT.other);
    });
  webhooks.command('deliveries <id>').action(async (id: string) => {
    const c = ctx();
    const page = await c.client().webhooks.deliveries(id, { limit: 50 });
    c.print(page.items, () => table(page.items, ['event_id', 'event_type', 'status', 'attempts', 'last_status', 'last_latency_ms', 'last_error']));
  });
  webhooks
    .command('replay <id>')
    .description('send every dead delivery of the webhook again, from attempt 1 (the webhook must be enabled)')
    .action(async (id: string) => {
      const c = ctx();
      const result = await c.client().webhooks.replayDeliveries(id, { status: 'dead' });
      c.print(result, () => (result.replayed === 0 ? `${id}: no dead deliveries` : `${id}: queued ${result.replayed} dead deliver${result.replayed === 1 ? 'y' : 'ies'} again`));
    });
}

export function eventCommands(program: Command, ctx: () => Context): void {
  const events = program.command('events').description('the event log');
  events
    .command('list')
    .option('--type <type>')
    .option('--agent <address>')
    .option('--limit <n>', 'at most this many (1–200)', limitOption(200), 20)
    .action(async (opts: { type?: string; agent?: string; limit: number }) => {
      const c = ctx();
      const page = await c.client().events.list({
        ...(opts.type ? { type: opts.type as EventType } : {}),
        ...(opts.agent ? { agent_address: opts.agent } : {}),
        limit: opts.limit,
      });
      c.print(page.items, () =>
        table(
          page.items.map((e) => ({ id: e.id, type: e.type, agent: e.data.agent_address, subject: 'subject' in e.data ? e.data.subject : null, created_at: e.created_at })),
          ['id', 'type', 'agent', 'subject', 'created_at'],
        ),
      );
    });
  events
    .command('redeliver <id>')
    .description('send the event again, with the same id, to every webhook it matches')
    .action(async (id: string) => {
      const c = ctx();
      const result = await c.client().events.redeliver(id);
      c.print(result, () => (result.deliveries.length === 0 ? `${result.event_id}: no webhook matches it` : `${result.event_id}: queued for ${result.deliveries.map((d) => d.webhook_id).join(', ')}`));
    });
}
