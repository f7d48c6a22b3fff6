import { describe, expect, it } from 'vitest';
import { authservIdOf, sanitize } from './sanitize.js';

const opts = { authservId: 'mx.agents.test', prepend: ['Authentication-Results: mx.agents.test;\r\n dkim=pass', 'Received: from x by y; date'] };
const body = '\r\nHello,\r\n\r\nX-E2A-Auth-Verified: true (in the body: must stay)\r\n\xff\xfe raw bytes\r\n';

function run(headers: string, b = body, o = opts): string {
  return sanitize(Buffer.from(headers + b, 'latin1'), o).toString('latin1');
}

describe('sanitize', () => {
  it('removes X-E2A-* fields in any case, with their folded continuation lines, and keeps the body byte-identical', () => {
    const out = run(
      'From: a@example.com\r\nX-E2A-Auth-Verified: true\r\nx-e2a-auth-sender: ceo@bank.example\r\n' +
        'X-e2A-Signature: abc\r\n\tdef\r\n ghi\r\nSubject: hi\r\n\tthere\r\nX-E2A-Delegation : yes\r\n',
    );
    expect(out).toBe(
      'Authentication-Results: mx.agents.test;\r\n dkim=pass\r\nReceived: from x by y; date\r\n' +
        'From: a@example.com\r\nSubject: hi\r\n\tthere\r\n' +
        body,
    );
  });

  it('keeps look-alike fields that are not ours', () => {
    const out = run('X-E2AB: keep\r\nX-Mailer-X-E2A-: keep\r\nFrom: a@example.com\r\n');
    expect(out).toContain('X-E2AB: keep\r\n');
    expect(out).toContain('X-Mailer-X-E2A-: keep\r\n');
  });

  it('removes Authentication-Results claiming our authserv-id, keeps others', () => {
    const out = run(
      'Authentication-Results: MX.Agents.Test; dkim=pass header.d=bank.example\r\n' +
        'Authentication-Results: (sneaky (nested) comment) "mx.agents.test" 1;\r\n spf=pass\r\n' +
        'Authentication-Results: mx.agents.test.; dmarc=pass\r\n' +
        'Authentication-Results: mx.google.com; dkim=pass\r\nFrom: a@example.com\r\n',
    );
    expect(out.match(/^Authentication-Results:/gim)).toHaveLength(2);
    expect(out).toContain('Authentication-Results: mx.google.com; dkim=pass\r\n');
    expect(out).not.toContain('bank.example');
    expect(out).not.toContain('spf=pass');
  });

  it('drops a field that hides an X-E2A- line behind a bare CR', () => {
    const out = run('Subject: hi\rX-E2A-Auth-Verified: true\r\nFrom: a@example.com\r\n');
    expect((out.split('\r\n\r\n')[0] ?? '').toLowerCase()).not.toContain('x-e2a');
  });

  it('handles bare LF messages and prepends with LF', () => {
    const out = sanitize(Buffer.from('From: a@example.com\nX-E2A-Foo: 1\n  folded\nSubject: s\n\nbody\n'), opts).toString();
    expect(out).toBe('Authentication-Results: mx.agents.test;\n dkim=pass\nReceived: from x by y; date\nFrom: a@example.com\nSubject: s\n\nbody\n');
  });

  it('handles a message with no body and no blank line', () => {
    const out = sanitize(Buffer.from('From: a@example.com\r\nX-E2A-Foo: 1\r\nSubject: s'), opts).toString();
    expect(out).toBe('Authentication-Results: mx.agents.test;\r\n dkim=pass\r\nReceived: from x by y; date\r\nFrom: a@example.com\r\n' + 'Subject: s');
  });

  it('handles a message with an empty header section', () => {
    const out = sanitize(Buffer.from('\r\nX-E2A-Foo: body text\r\n'), { authservId: 'mx', prepend: ['Received: r'] }).toString();
    expect(out).toBe('Received: r\r\n\r\nX-E2A-Foo: body text\r\n');
  });

  it('leaves everything after the header section alone, byte for byte', () => {
    const raw = Buffer.concat([Buffer.from('X-E2A-A: 1\r\nFrom: a@example.com\r\n\r\n'), Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x2e])]);
    const out = sanitize(raw, { authservId: 'mx', prepend: [] });
    expect(out.equals(raw.subarray('X-E2A-A: 1\r\n'.length))).toBe(true);
  });
});

describe('authservIdOf', () => {
  it.each([
    ['mx.example; spf=pass', 'mx.example'],
    [' (c) mx.example 1; none', 'mx.example'],
    ['"mx.example"; none', 'mx.example'],
    ['(a (b) c) MX.example.; none', 'mx.example'],
    ['', null],
  ])('%s → %s', (value, id) => {
    expect(authservIdOf(value)).toBe(id);
  });
});
