/**
 * Labels (docs/LABELS.md): an agent's own names for its messages and conversations, and the system
 * labels derived from a message's state. The names' rule and the system names are in values.ts.
 */
import { z } from 'zod';
import { LABEL_NAME_MAX_LENGTH, LABEL_NAME_PATTERN, SYSTEM_LABELS, type SystemLabel } from '../values.js';
import { Timestamp } from './primitives.js';

export { LABEL_NAME_MAX_LENGTH, LABEL_NAME_PATTERN, SYSTEM_LABELS, type SystemLabel };

/** Names one request may add, remove or filter by. */
export const MAX_LABELS_PER_CHANGE = 20;
export const MAX_LABEL_FILTERS = 10;

const NAME = new RegExp(LABEL_NAME_PATTERN);

export const LabelName = z
  .string()
  .min(1)
  .max(LABEL_NAME_MAX_LENGTH)
  .regex(NAME, `a label is 1 to ${LABEL_NAME_MAX_LENGTH} ASCII letters, digits and . _ - :, starting with a letter or a digit (e.g. "invoices", "project:apollo")`)
  .describe('A label name; compared without regard to case.');

/** True for the system names (unread, sent, trash, held), in any case. */
export function isSystemLabel(name: string): name is SystemLabel {
  return (SYSTEM_LABELS as readonly string[]).includes(name.toLowerCase());
}

/**
 * `?label=` on the message and conversation lists: a name, or the parameter repeated
 * (`?label=a&label=b`), which matches what carries every one of them.
 */
export const LabelFilter = z
  .union([LabelName, z.array(LabelName).min(1).max(MAX_LABEL_FILTERS)])
  .transform((v) => (typeof v === 'string' ? [v] : v))
  .describe(`Only what carries this label; repeat the parameter (up to ${MAX_LABEL_FILTERS}) for all of several. System labels: unread, sent, trash.`);

/** POST …/messages/{id}/labels and …/conversations/{id}/labels. */
export const LabelChanges = z
  .object({
    /** Created for the agent on first use; a name that exists in another case is that label. */
    add: z.array(LabelName).max(MAX_LABELS_PER_CHANGE).default([]),
    /** A name the agent has no such label for is ignored. */
    remove: z.array(LabelName).max(MAX_LABELS_PER_CHANGE).default([]),
  })
  .meta({ id: 'LabelChanges', description: 'Labels to add and to remove, in one change; user labels only (system labels are derived).' });
export type LabelChanges = z.input<typeof LabelChanges>;

/** What a change answers: the labels the message or conversation now has, system labels first. */
export const LabelSet = z.object({ labels: z.array(z.string()) }).meta({ id: 'LabelSet' });
export type LabelSet = z.infer<typeof LabelSet>;

/** One of GET /v1/agents/{address}/labels. Counts are of what the mailbox shows. */
export const Label = z
  .object({
    name: z.string(),
    /** Derived (unread, sent, trash), not created or deleted by anyone. */
    system: z.boolean(),
    messages: z.number().int(),
    unread_messages: z.number().int(),
    conversations: z.number().int(),
    /** When the agent first used it; null for system labels. */
    created_at: Timestamp.nullable(),
  })
  .meta({ id: 'Label' });
export type Label = z.infer<typeof Label>;

export const LabelList = z.object({ items: z.array(Label) }).meta({ id: 'LabelList' });
export type LabelList = z.infer<typeof LabelList>;
