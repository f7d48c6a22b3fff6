/**
 * API recipients → draft addresses, strictly: one mailbox per array element, no groups, no line
 * breaks, no second address hidden in a display name (see relay/outbound/mailbox.ts). Errors name
 * the field, so `body.to[2]: one address per entry` tells the caller exactly what to fix.
 */
import { checkMailbox, parseMailbox, type Mailbox } from '@e2a/relay';
import type { Recipient } from '@e2a/sdk/wire';
import { AppError } from '../errors.js';
import type { DraftAddress } from './draft.js';

export function toDraftAddress(recipient: Recipient, path: string): DraftAddress {
  const result = typeof recipient === 'string' ? parseMailbox(recipient) : checkMailbox(recipient.address, recipient.name ?? null);
  if (!result.ok) throw new AppError('validation_error', `${path}: ${result.reason}`, [{ path, message: result.reason }]);
  return result.mailbox;
}

export function toDraftAddresses(list: Recipient[] | undefined, field: string): DraftAddress[] {
  return (list ?? []).map((r, i) => toDraftAddress(r, `body.${field}[${i}]`));
}

/** Every envelope recipient once, compared case-insensitively (RFC 5321 §2.4 leaves local-part case to the host; duplicates here are the same person). */
export function uniqueRecipients(...lists: DraftAddress[][]): string[] {
  const seen = new Map<string, string>();
  for (const list of lists) for (const a of list) if (!seen.has(a.address.toLowerCase())) seen.set(a.address.toLowerCase(), a.address);
  return [...seen.values()];
}

/** Drops `drop` (the agent itself, on reply-all) and repeats from a list, keeping order. */
export function withoutAddresses(list: Mailbox[], drop: string[]): DraftAddress[] {
  const skip = new Set(drop.map((a) => a.toLowerCase()));
  const out: DraftAddress[] = [];
  for (const a of list) {
    const key = a.address.toLowerCase();
    if (skip.has(key)) continue;
    skip.add(key);
    out.push(a);
  }
  return out;
}
