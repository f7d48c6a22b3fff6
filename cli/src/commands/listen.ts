/**
 * `e2a listen`: an agent's events as they arrive. Prints them, or forwards each to a local handler
 * (the signed Standard Webhooks request a webhook endpoint gets) or to a model (OpenAI Responses API,
 * whose answer is sent as the reply).
 *
 * At least once to the handler: an event is acked only after the handler answered 2xx (and the reply
 * was sent); until then it is retried with backoff while the CLI keeps running, and a CLI stopped
 * before the ack gets the event again on its next start. One status line per attempt.
 */
import { Option, type Command } from 'commander';
import type { EmailEvent, EventStream, Message, MessagePriority } from '@e2a/sdk';
import { readConfig, writeConfig } from '../config-store.js';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { durationOption, PRIORITY_CHOICES, urlValue } from '../values.js';
import { askModel, FORWARD_FORMATS, postWebhook, type Attempt, type ForwardFormat } from '../forward.js';
import { statusLine, untilTaken } from '../forward-retry.js';
import { collect } from '../repeatable.js';
import { ModelSessions } from '../model-sessions.js';
import { sdk } from '../sdk.js';

interface ListenOptions {
  agent?: string;
  forward?: string;
  forwardFormat: ForwardFormat;
  forwardToken?: string;
  model: string;
  reply: boolean;
  once?: boolean;
  until?: string;
  allow: string[];
  priority?: MessagePriority;
}

export function listenCommand(program: Command, ctx: () => Context): void {
  program
    .command('listen')
    .description("receive an agent's events as they arrive; optionally forward each to a local webhook handler or a model")
    .option('--agent <address>', 'the agent to listen for')
    .option('--forward <url>', 'POST each event here, retried until it answers 2xx; only then is it acknowledged', urlValue)
    .addOption(
      new Option('--forward-format <format>', 'webhook: the signed Standard Webhooks request a webhook endpoint gets; responses: ask an OpenAI Responses API endpoint to answer each email')
        .choices(FORWARD_FORMATS)
        .default('webhook'),
    )
    .option('--forward-token <token>', 'Bearer token for the forward URL (or E2A_FORWARD_TOKEN)')
    .option('--model <name>', 'model for --forward-format responses', 'gpt-4.1-mini')
    .option('--no-reply', "with --forward-format responses: do not send the model's answer as a reply")
    .option('--allow <address>', 'sender (or @domain) the model may treat as allowlisted (repeatable)', collect, [])
    .addOption(
      new Option('--priority <priority>', 'only events about mail of this priority; the others are left unacknowledged, for another listener or a later run')
        .choices(PRIORITY_CHOICES),
    )
    .option('--once', 'stop after the first event handled')
    .option('--until <duration>', 'stop after this long (30s, 5m, 2h)', (text: string) => (durationOption(text), text))
    .addHelpText(
      'after',
      [
        '',
        'Forwarded requests are signed like webhooks (webhook-id, webhook-timestamp, webhook-signature) with',
        'the whsec_… secret printed at start (kept in the CLI config as forward_secret, or set E2A_FORWARD_SECRET):',
        'verify them with constructEvent() or any Standard Webhooks library, as in production.',
        'Each attempt prints one line:  --> email.received msg_… [200] 12 ms',
        '',
        'Examples:',
        '  e2a listen --agent bot@agents.example.com',
        '  e2a listen --agent bot@agents.example.com --forward http://127.0.0.1:3000/webhooks/e2a',
        '  e2a listen --agent bot@agents.example.com --priority urgent --forward http://127.0.0.1:3000/urgent',
        '  e2a listen --agent bot@agents.example.com --forward http://127.0.0.1:18789/v1/responses --forward-format responses --model my-model',
      ].join('\n'),
    )
    .action(async (opts: ListenOptions) => {
      const c = ctx();
      const client = c.client();
      const agent = c.agent(opts.agent);
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const timer = opts.until ? setTimeout(stop, parseDuration(opts.until)) : null;
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const target = opts.forward ? { url: opts.forward, token: opts.forwardToken ?? process.env.E2A_FORWARD_TOKEN } : null;
      const secret = target && opts.forwardFormat === 'webhook' ? forwardSecret() : null;
      const sessions = target && opts.forwardFormat === 'responses' ? new ModelSessions() : null;

      log(`listening for ${agent}${opts.priority ? ` (${opts.priority} mail only)` : ''}${target ? `, forwarding to ${target.url} (${opts.forwardFormat})` : ''} (Ctrl-C to stop)`);
      if (secret) log(`webhook signing secret: ${secret}`);

      /** Tries `attempt` until the handler takes the event, one status line per attempt; false if stopped first. */
      const forward = (event: EmailEvent, attempt: () => Promise<Attempt & { reply?: string | null }>) =>
        untilTaken(attempt, {
          signal: abort.signal,
          report: (result, retryInMs) =>
            c.print({ event_id: event.id, type: event.type, message_id: event.data.message_id, ok: result.ok, status: result.status, ms: result.ms, retry_in_ms: retryInMs }, () =>
              statusLine(event.type, event.data.message_id, result, retryInMs),
            ),
        });

      const stream: EventStream = client.listen(agent, {
        autoAck: false,
        // Filtered in the SDK: the rest stays unacknowledged on the gateway (docs/PRIORITIES.md).
        ...(opts.priority ? { priority: opts.priority } : {}),
        onStatus: (s) => log(s.state === 'connected' ? 'connected' : `disconnected (${s.code ?? ''} ${s.reason ?? ''}); retrying in ${s.retryInMs} ms`),
      });
      // Stopping ends the stream through return(), which lets an ack already sent be confirmed
      // first (an abort signal would drop it, and the event would come again).
      abort.signal.addEventListener('abort', () => void stream.return!(), { once: true });
      try {
        for await (const event of stream) {
          let handled: boolean;
          if (!target) {
            handled = await show(c, event, () => client.messages.get(agent, event.data.message_id));
          } else if (opts.forwardFormat === 'webhook') {
            handled = await forward(event, () => postWebhook(target, event, secret!, abort.signal));
          } else if (event.type !== 'email.received') {
            // Only received mail is for the model; the rest needs no answer.
            if (!(await acked(stream, event))) break;
            continue;
          } else {
            handled = await forward(event, async () => {
              let message: Message;
              try {
                message = await client.messages.get(agent, event.data.message_id);
              } catch (err) {
                // Deleted since: there is nothing left to answer, and retrying cannot change that.
                if (err instanceof sdk().NotFoundError) return { ok: true, status: 'message gone', ms: 0 };
                return gatewayFailure(err);
              }
              const session = ModelSessions.key(agent, message.conversation_id);
              const ask = (previousResponseId: string | undefined) => askModel({ ...target, model: opts.model, allowlist: opts.allow, previousResponseId }, message, abort.signal);
              const previous = sessions!.previous(session);
              let answer = await ask(previous);
              if (previous && !answer.ok && (answer.status === '400' || answer.status === '404')) {
                // Perhaps the endpoint no longer has that session (expired, or another model
                // server): if a new session works, the conversation goes on in it rather than
                // failing forever; if not, the refusal was about something else and the session stays.
                const fresh = await ask(undefined);
                if (fresh.ok) {
                  log(`the model refused the session of conversation ${message.conversation_id} (${answer.status}); continued in a new one`);
                  answer = fresh;
                }
              }
              if (answer.ok && answer.responseId) sessions!.remember(session, answer.responseId);
              if (!answer.ok || !opts.reply) return answer;
              try {
                // The idempotency key makes a retry after a lost answer (or a restart) send one reply.
                const sent = await client.messages.reply(agent, message.id, { text: answer.reply! }, { idempotencyKey: `listen-reply-${message.id}` });
                log(`replied to ${message.id}: ${sent.status} ${sent.id}`);
              } catch (err) {
                return gatewayFailure(err);
              }
              return answer;
            });
          }
          if (!handled) break; // stopped while retrying: not acked, so it comes again next time
          if (!(await acked(stream, event))) break;
          if (opts.once) break;
        }
      } finally {
        if (timer) clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}

/** Acks a handled event; false if the stream ended first (the event then comes again: at least once). */
async function acked(stream: EventStream, event: EmailEvent): Promise<boolean> {
  try {
    await stream.ack(event);
    return true;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return false;
  }
}

/**
 * A failed gateway call inside an attempt: retried like a handler failure (the gateway may be
 * restarting), except a refused key, which no retry fixes: that ends the command.
 */
function gatewayFailure(err: unknown): Attempt {
  const { AuthenticationError, E2AError, PermissionError } = sdk();
  if (err instanceof AuthenticationError || err instanceof PermissionError || !(err instanceof E2AError)) throw err;
  return { ok: false, status: `gateway: ${err.message}`, ms: 0 };
}

/** Prints an event (received mail with its sender and verdict); true once printed. */
async function show(c: Context, event: EmailEvent, message: () => Promise<Message>): Promise<boolean> {
  if (event.type !== 'email.received') {
    if (c.json) c.print(event, () => '');
    return true;
  }
  const m = await message();
  c.print(c.json ? event : m, () => `${m.received_at}  ${m.from?.address ?? '?'}  ${m.subject ?? ''}  (${m.verified ? 'verified' : 'unverified'}, ${m.id})`);
  return true;
}

/** E2A_FORWARD_SECRET, else the one kept in the CLI config, else a new one kept there for next time. */
function forwardSecret(): string {
  if (process.env.E2A_FORWARD_SECRET) return process.env.E2A_FORWARD_SECRET;
  const stored = readConfig();
  if (stored.forward_secret) return stored.forward_secret;
  const secret = sdk().generateWebhookSecret();
  writeConfig({ ...stored, forward_secret: secret });
  return secret;
}
