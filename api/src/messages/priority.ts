/**
 * Message priority and the mail headers that carry it (docs/PRIORITIES.md).
 *
 * Four headers are in use, none of them authenticated, so the result is a sender's claim:
 *   Priority           RFC 2156 §5.3.6 (X.400 gateways): urgent | normal | non-urgent
 *   Importance         RFC 2156 §5.3.4 and Outlook: high | normal | low
 *   X-Priority         de facto (Eudora, Thunderbird, Outlook): 1–5, 1 highest; only the leading
 *                      digit counts ("1 (Highest)", "2 (High)")
 *   X-MSMail-Priority  Outlook: High | Normal | Low
 * Precedence when they disagree: the first of them, in that order, whose value is understood;
 * values that are not understood are ignored as if the header were absent. Names and values are
 * case-insensitive (RFC 5322 §1.2.2 for names; the value vocabularies are keywords).
 */
import type { MessagePriority } from '@e2a/sdk/wire';

type HeaderReader = (value: string) => MessagePriority | null;

const keyword = (table: Record<string, MessagePriority>): HeaderReader => (value) => table[value.trim().toLowerCase()] ?? null;

/** Header name (lower case) → its reading, in order of precedence. */
const READERS: ReadonlyArray<readonly [string, HeaderReader]> = [
  ['priority', keyword({ urgent: 'urgent', normal: 'normal', 'non-urgent': 'low' })],
  ['importance', keyword({ high: 'urgent', normal: 'normal', low: 'low' })],
  [
    'x-priority',
    (value) => {
      const digit = /^\s*([1-5])(?!\d)/.exec(value)?.[1];
      if (!digit) return null;
      return digit <= '2' ? 'urgent' : digit === '3' ? 'normal' : 'low';
    },
  ],
  ['x-msmail-priority', keyword({ high: 'urgent', normal: 'normal', low: 'low' })],
];

/**
 * The priority a message's headers claim: the first header (in the order above) with a value it
 * understands decides; none → normal. For a header given more than once, its first understood
 * occurrence counts.
 */
export function priorityFromHeaders(headers: ReadonlyArray<{ name: string; value: string }>): MessagePriority {
  // One pass over the headers (it runs for every stored copy): per reader, its first understood value.
  const found: Array<MessagePriority | undefined> = [];
  for (const header of headers) {
    const i = READER_INDEX.get(header.name.toLowerCase());
    if (i === undefined || found[i]) continue;
    found[i] = READERS[i]![1](header.value) ?? undefined;
  }
  return found.find((p) => p !== undefined) ?? 'normal';
}

const READER_INDEX = new Map(READERS.map(([name], i) => [name, i]));

/** The header names priorityFromHeaders reads, in their canonical spelling. */
export const PRIORITY_HEADER_NAMES = ['Priority', 'Importance', 'X-Priority', 'X-MSMail-Priority'] as const;

/**
 * What outgoing mail of this priority carries: the three widely read headers for urgent and low,
 * nothing for normal (its absence already means normal to every reader).
 */
export function priorityHeaders(priority: MessagePriority): Record<string, string> {
  switch (priority) {
    case 'urgent':
      return { Priority: 'urgent', Importance: 'high', 'X-Priority': '1' };
    case 'low':
      return { Priority: 'non-urgent', Importance: 'low', 'X-Priority': '5' };
    case 'normal':
      return {};
  }
}

/**
 * The priority of mail an agent sends, and the custom headers it leaves with. A priority asked for
 * wins: any priority header among the custom ones (X-Priority, Importance) gives way to
 * priorityHeaders(priority). None asked for: the custom headers stand, and the message's priority
 * is what they say, as its receiver will read them.
 */
export function outgoingPriority(
  headers: Record<string, string>,
  requested: MessagePriority | undefined,
): { priority: MessagePriority; headers: Record<string, string> } {
  if (requested === undefined) {
    return { priority: priorityFromHeaders(Object.entries(headers).map(([name, value]) => ({ name, value }))), headers };
  }
  const names = new Set<string>(PRIORITY_HEADER_NAMES.map((n) => n.toLowerCase()));
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(name.toLowerCase())));
  return { priority: requested, headers: { ...kept, ...priorityHeaders(requested) } };
}
