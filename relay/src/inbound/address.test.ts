import { describe, expect, it } from 'vitest';
import { checkLocalPart, classifyAddress, evaluateRecipient } from './address.js';
import { REPLY } from '../smtp-reply.js';
import { createMemoryDirectory } from '../testing/fake-ports.js';

const directory = createMemoryDirectory(['bot@agents.test', 'first.last+tag@agents.test']);

describe('classifyAddress', () => {
  it.each([
    ['"a@ext.example"@agents.test', 'relay-trick'],
    ['a%ext.example@agents.test', 'relay-trick'],
    ['ext.example!a@agents.test', 'relay-trick'],
    ['@agents.test:a@ext.example', 'relay-trick'],
    ['a b@agents.test', 'relay-trick'],
    ['a\\@b@agents.test', 'relay-trick'],
    ['a:b@agents.test', 'relay-trick'],
    ['a@[127.0.0.1]', 'foreign-domain'],
    ['a@127.0.0.1', 'foreign-domain'],
    ['postmaster', 'foreign-domain'],
    ['a@-bad-.example', 'foreign-domain'],
    ['a@localhost', 'foreign-domain'],
    ['.a@agents.test', 'unsafe-local'],
    ['a.@agents.test', 'unsafe-local'],
    ['a..b@agents.test', 'unsafe-local'],
    ['a#b@agents.test', 'unsafe-local'],
    ['Bot@Agents.Test', 'clean'],
    ['first.last+tag@agents.test', 'clean'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address).kind).toBe(kind);
  });

  it('lower-cases and turns U-labels into A-labels', () => {
    expect(classifyAddress('Bot@Bücher.Example')).toEqual({
      kind: 'clean',
      local: 'bot',
      domain: 'xn--bcher-kva.example',
      address: 'bot@xn--bcher-kva.example',
    });
  });
});

describe('evaluateRecipient', () => {
  it('accepts a known mailbox, lower-cased', async () => {
    const v = await evaluateRecipient('BOT@agents.test', directory);
    expect(v).toMatchObject({ ok: true, address: 'bot@agents.test', recipient: { agentId: 'agent_1' } });
  });

  it.each(['a@ext.example', '"a@ext.example"@agents.test', 'a%ext.example@agents.test', 'ext.example!a@agents.test', '@agents.test:a@ext.example', 'a@[127.0.0.1]'])(
    'refuses %s as relaying (550 5.7.1)',
    async (address) => {
      expect(await evaluateRecipient(address, directory)).toMatchObject({ ok: false, reply: REPLY.relayDenied });
    },
  );

  it('refuses an unknown mailbox of ours with 550 5.1.1', async () => {
    expect(await evaluateRecipient('nobody@agents.test', directory)).toMatchObject({ ok: false, reply: REPLY.unknownMailbox });
  });

  it('refuses an odd local part of ours with 553 5.1.3 and one elsewhere as relaying', async () => {
    expect(await evaluateRecipient('a#b@agents.test', directory)).toMatchObject({ ok: false, reply: REPLY.badAddressSyntax });
    expect(await evaluateRecipient('a#b@ext.example', directory)).toMatchObject({ ok: false, reply: REPLY.relayDenied });
  });

  it('does not look up tricks at all', async () => {
    const d = createMemoryDirectory(['bot@agents.test']);
    await evaluateRecipient('bot%ext.example@agents.test', d);
    expect(d.lookups).toEqual([]);
  });
});

describe('checkLocalPart', () => {
  it('accepts the safe dot-atom set only', () => {
    expect(checkLocalPart('support-bot_1+x.y')).toBe(true);
    for (const bad of ['', '.a', 'a.', 'a..b', 'a b', 'a@b', 'a%b', 'ü', 'x'.repeat(65)]) expect(checkLocalPart(bad)).toBe(false);
  });
});
