import type { MessagePriority } from '@e2a/sdk/wire';
import { describe, expect, it } from 'vitest';
import { outgoingPriority, priorityFromHeaders, priorityHeaders } from './priority.js';

type Row = [string, Array<[string, string]>, MessagePriority];

const TABLE: Row[] = [
  ['no priority headers', [['Subject', 'hi']], 'normal'],
  // Each header alone.
  ['Priority: urgent', [['Priority', 'urgent']], 'urgent'],
  ['Priority: normal', [['Priority', 'normal']], 'normal'],
  ['Priority: non-urgent', [['Priority', 'non-urgent']], 'low'],
  ['Importance: high', [['Importance', 'high']], 'urgent'],
  ['Importance: normal', [['Importance', 'normal']], 'normal'],
  ['Importance: low', [['Importance', 'low']], 'low'],
  ['X-Priority: 1', [['X-Priority', '1']], 'urgent'],
  ['X-Priority: 2', [['X-Priority', '2']], 'urgent'],
  ['X-Priority: 3', [['X-Priority', '3']], 'normal'],
  ['X-Priority: 4', [['X-Priority', '4']], 'low'],
  ['X-Priority: 5', [['X-Priority', '5']], 'low'],
  ['X-Priority with a comment', [['X-Priority', '1 (Highest)']], 'urgent'],
  ['X-Priority with a comment, low', [['X-Priority', ' 5 (Lowest)']], 'low'],
  ['X-MSMail-Priority: High', [['X-MSMail-Priority', 'High']], 'urgent'],
  ['X-MSMail-Priority: Normal', [['X-MSMail-Priority', 'Normal']], 'normal'],
  ['X-MSMail-Priority: Low', [['X-MSMail-Priority', 'Low']], 'low'],
  // Case and whitespace.
  ['names and values in any case', [['importance', ' HIGH ']], 'urgent'],
  ['PRIORITY: Non-Urgent', [['PRIORITY', 'Non-Urgent']], 'low'],
  // Unparseable values are ignored.
  ['X-Priority: 0', [['X-Priority', '0']], 'normal'],
  ['X-Priority: 6', [['X-Priority', '6']], 'normal'],
  ['X-Priority: 10', [['X-Priority', '10']], 'normal'],
  ['X-Priority: high', [['X-Priority', 'high']], 'normal'],
  ['Importance: very', [['Importance', 'very']], 'normal'],
  ['Priority: emergency', [['Priority', 'emergency']], 'normal'],
  ['empty values', [['Priority', ''], ['Importance', '']], 'normal'],
  // Precedence: Priority, Importance, X-Priority, X-MSMail-Priority; the first understood decides.
  ['Priority beats Importance', [['Importance', 'low'], ['Priority', 'urgent']], 'urgent'],
  ['Priority normal beats X-Priority 1', [['X-Priority', '1'], ['Priority', 'normal']], 'normal'],
  ['Importance beats X-Priority', [['X-Priority', '5'], ['Importance', 'high']], 'urgent'],
  ['X-Priority beats X-MSMail-Priority', [['X-MSMail-Priority', 'High'], ['X-Priority', '4']], 'low'],
  ['an unparseable Priority falls through to Importance', [['Priority', 'asap'], ['Importance', 'low']], 'low'],
  ['an unparseable X-Priority falls through to X-MSMail-Priority', [['X-Priority', 'x'], ['X-MSMail-Priority', 'high']], 'urgent'],
  ['a repeated header: its first understood occurrence', [['Importance', 'bogus'], ['Importance', 'low'], ['Importance', 'high']], 'low'],
];

describe('priorityFromHeaders', () => {
  it.each(TABLE)('%s', (_name, headers, expected) => {
    expect(priorityFromHeaders(headers.map(([name, value]) => ({ name, value })))).toBe(expected);
  });
});

describe('priorityHeaders', () => {
  it.each<[MessagePriority, Record<string, string>]>([
    ['urgent', { Priority: 'urgent', Importance: 'high', 'X-Priority': '1' }],
    ['low', { Priority: 'non-urgent', Importance: 'low', 'X-Priority': '5' }],
    ['normal', {}],
  ])('%s', (priority, headers) => {
    expect(priorityHeaders(priority)).toEqual(headers);
  });

  it('reads back as the priority it was written for', () => {
    for (const priority of ['urgent', 'normal', 'low'] as const) {
      const headers = Object.entries(priorityHeaders(priority)).map(([name, value]) => ({ name, value }));
      expect(priorityFromHeaders(headers)).toBe(priority);
    }
  });
});

describe('outgoingPriority', () => {
  it('sets the headers of the priority asked for, replacing custom priority headers', () => {
    expect(outgoingPriority({ 'X-Priority': '5', Keywords: 'a' }, 'urgent')).toEqual({
      priority: 'urgent',
      headers: { Keywords: 'a', Priority: 'urgent', Importance: 'high', 'X-Priority': '1' },
    });
    expect(outgoingPriority({ Importance: 'high' }, 'normal')).toEqual({ priority: 'normal', headers: {} });
  });

  it('without one asked for, keeps the custom headers and reads the priority from them', () => {
    expect(outgoingPriority({ 'X-Priority': '1' }, undefined)).toEqual({ priority: 'urgent', headers: { 'X-Priority': '1' } });
    expect(outgoingPriority({}, undefined)).toEqual({ priority: 'normal', headers: {} });
  });
});
