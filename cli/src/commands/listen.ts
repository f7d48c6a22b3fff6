/**
 * `e2a listen`: an agent's mail as it arrives. Prints it, or forwards it to a local handler or to a
 * model (OpenAI Responses API) whose answer is sent as the reply. Reconnects across server restarts
 * (the SDK's listen() resumes and never acks before the message was handled).
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { askModel, forwardToHandler, isResponsesEndpoint, type ForwardTarget } from '../forward.js';
import { collect } from '../repeatable.js';

interface ListenOptions {
  agent?: string;
  forward?: string;
  forwardToken?: string;
  model: string;
  reply: boolean;
  once?: boolean;
  until?: string;
  allow: string[];
}

export function listenCommand(program: Command, ctx: () => Context): void {
  program
    .command('listen')
    .description('receive an agent\'s mail as it arrives; optionally forward it to a local handler or model')
    .option('--agent <address>', 'the agent to listen for')
    .option('--forward <url>', 'POST each message here; a URL ending in /v1/responses is treated as an OpenAI Responses endpoint')
    .option('--forward-token <token>', 'Bearer token for the forward URL (or E2A_FORWARD_TOKEN)')
    .option('--model <name>', 'model for a /v1/responses endpoint', 'gpt-4.1-mini')
    .option('--no-reply', 'do not send the handler\'s or model\'s answer as a reply')
    .option('--allow <address>', 'sender (or @domain) the model may treat as allowlisted (repeatable)', collect, [])
    .option('--once', 'stop after the first message')
    .option('--until <duration>', 'stop after this long (30s, 5m, 2h)')
    .addHelpText(
      'after',
      '\nExamples:\n  e2a listen --agent bot@agents.example.com\n  e2a listen --agent bot@agents.example.com --forward http://127.0.0.1:18789/v1/responses --model my-model\n  e2a listen --forward http://127.0.0.1:3000/mail --once --json',
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
      const target: ForwardTarget | null = opts.forward
        ? { url: opts.forward, model: opts.model, allowlist: opts.allow, token: opts.forwardToken ?? process.env.E2A_FORWARD_TOKEN }
        : null;
      const log = (line: string) => process.stderr.write(`${line}\n`);
      log(`listening for ${agent}${target ? `, forwarding to ${target.url}` : ''} (Ctrl-C to stop)`);
      try {
        for await (const event of client.listen(agent, {
          signal: abort.signal,
          onStatus: (s) => log(s.state === 'connected' ? 'connected' : `disconnected (${s.code ?? ''} ${s.reason ?? ''}); retrying in ${s.retryInMs} ms`),
        })) {
          if (event.type !== 'email.received') {
            if (c.json) c.print(event, () => '');
            continue;
          }
          const message = await client.messages.get(agent, event.data.message_id);
          if (!target) {
            c.print(c.json ? event : message, () => `${message.received_at}  ${message.from?.address ?? '?'}  ${message.subject ?? ''}  (${message.verified ? 'verified' : 'unverified'}, ${message.id})`);
          } else {
            const answer = isResponsesEndpoint(target.url) ? await askModel(target, message) : (await forwardToHandler(target, message)).reply;
            if (answer && opts.reply) {
              const sent = await client.messages.reply(agent, message.id, { text: answer }, { idempotencyKey: `listen-reply-${message.id}` });
              log(`replied to ${message.id}: ${sent.status} ${sent.id}`);
              if (c.json) c.print({ event, reply: sent }, () => '');
            } else {
              log(`forwarded ${message.id}${answer ? ' (reply not sent: --no-reply)' : ''}`);
              if (c.json) c.print({ event }, () => '');
            }
          }
          if (opts.once) break;
        }
      } finally {
        if (timer) clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
