/**
 * Drafts and scheduled sending for every key (docs/OUTBOUND.md, "Drafts and scheduled sending"): a
 * model writes a draft, sends it later exactly as `send` would (same checks, same review), and can
 * cancel a message it scheduled with `send_at` before it goes out.
 */
import { z } from 'zod';
import { MESSAGE_PRIORITIES } from '../wire/index.js';
import { sendAt, sent } from './agent-tools.js';
import { json } from './results.js';
import type { Register, ToolContext } from './tools.js';

const agent = z.string().max(254).optional().describe("The agent's address; defaults to the key's own agent");
const recipients = z.array(z.string().max(320)).max(100);

export function registerDraftTools(register: Register, ctx: ToolContext): void {
  const { client } = ctx;

  register(
    'create_draft',
    {
      description:
        'Save a draft to send later with send_draft. Every field is optional; what a send would refuse (a malformed address, too many recipients or attachments) is refused now. With in_reply_to it is sent as a reply to that message, in its thread.',
      input: {
        agent,
        to: recipients.optional().describe('Recipients: "addr@example.com" or "Name <addr@example.com>"'),
        cc: recipients.optional(),
        bcc: recipients.optional(),
        subject: z.string().max(998).optional(),
        text: z.string().optional().describe('Plain-text body'),
        html: z.string().optional().describe('HTML body'),
        priority: z.enum(MESSAGE_PRIORITIES).optional(),
        attachments: z
          .array(z.object({ filename: z.string().max(255), content_type: z.string().max(255).optional(), content: z.string().describe('Base64 of the bytes') }))
          .max(100)
          .optional(),
        in_reply_to: z.string().max(64).optional().describe('Reply to this message (msg_…): its sender is added to the recipients and the thread is kept'),
        reply_all: z.boolean().optional().describe('With in_reply_to: also to the original To and Cc'),
        send_at: sendAt,
      },
    },
    async ({ agent: a, ...body }) => {
      const draft = await client.drafts.create(ctx.agent(a), body);
      return json(draft, `Draft ${draft.id} saved. Send it with send_draft; nothing is sent until then.`);
    },
  );

  register(
    'send_draft',
    {
      description: "Send a saved draft, exactly as send would (or reply, with in_reply_to): the result says whether it was queued, scheduled, sent, or held for a human's review. Once accepted the draft is gone.",
      input: {
        agent,
        draft_id: z.string().max(64).describe('The draft id (drf_…) from create_draft'),
        idempotency_key: z.string().max(255).optional().describe('Repeat a call with the same key to get the first result instead of sending twice'),
      },
      annotations: { openWorldHint: true },
    },
    async ({ agent: a, draft_id, idempotency_key }) => sent(await client.drafts.send(ctx.agent(a), draft_id, { idempotencyKey: idempotency_key })),
  );

  register(
    'cancel_scheduled',
    {
      description: 'Cancel a message sent with send_at before its time comes; it is then never sent. Fails once it is being sent.',
      input: { agent, message_id: z.string().max(64).describe('The id of the scheduled message (msg_…)') },
      annotations: { idempotentHint: true },
    },
    async ({ agent: a, message_id }) => sent(await client.messages.cancel(ctx.agent(a), message_id)),
  );
}
