import { describe, expect, it } from 'vitest';
import { cpuMsBestOf3 } from '../testing/cpu-time.js';
import { extractReplyText, isAttribution } from './reply-text.js';

const crlf = (s: string) => s.replace(/\n/g, '\r\n');

describe('extractReplyText on the shapes real clients write', () => {
  it('Gmail: "On … wrote:" and the quoted thread under it', () => {
    const text = [
      'Sounds good, see you Tuesday.',
      '',
      'Bob',
      '',
      'On Mon, Mar 3, 2025 at 10:02 AM Alice Smith <alice@example.com> wrote:',
      '',
      '> Can we meet next week?',
      '>',
      '> On Sun, Mar 2, 2025 at 9:00 AM Bob <bob@example.com> wrote:',
      '> > Lunch?',
      '',
    ].join('\n');
    expect(extractReplyText(text)).toBe('Sounds good, see you Tuesday.\n\nBob');
    expect(extractReplyText(crlf(text))).toBe('Sounds good, see you Tuesday.\n\nBob');
  });

  it('Gmail: an attribution wrapped over two lines', () => {
    const text = 'Yes.\n\nOn Mon, Mar 3, 2025 at 10:02 AM Alice Smith with a long name <\nalice@example.com> wrote:\n\n> Can we meet?\n';
    expect(extractReplyText(text)).toBe('Yes.');
  });

  it('Outlook: the "From: … Sent: … To: … Subject:" block and everything under it', () => {
    const text = crlf(
      [
        'Thanks, approved.',
        '',
        'Bob',
        '',
        '________________________________',
        'From: Alice Smith <alice@example.com>',
        'Sent: Monday, March 3, 2025 10:02 AM',
        'To: Bob <bob@example.com>',
        'Subject: Budget',
        '',
        'Please approve the budget.',
      ].join('\n'),
    );
    expect(extractReplyText(text)).toBe('Thanks, approved.\n\nBob');
    // Exchange writes the sender without an address, and no underline above.
    expect(extractReplyText('Done.\n\nFrom: Alice Smith\nSent: Monday, March 3, 2025 10:02 AM\nTo: Bob\nSubject: RE: Budget\n\nPlease.\n')).toBe('Done.');
    // German Outlook.
    expect(extractReplyText('Erledigt.\n\nVon: Alice Smith <alice@example.com>\nGesendet: Montag, 3. März 2025 10:02\nAn: Bob\nBetreff: Budget\n\nBitte.')).toBe('Erledigt.');
  });

  it('"-----Original Message-----" and forwarded-message separators', () => {
    expect(extractReplyText('Fine by me.\n\n-----Original Message-----\nFrom: a@b.example\nSubject: x\n\nold\n')).toBe('Fine by me.');
    expect(extractReplyText('FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Alice <a@x.example>\nDate: Mon\n\nthe original')).toBe('FYI, see below.');
  });

  it('">" quoting with answers written between the quotes keeps every answer', () => {
    const text = ['My answers are inline.', '', '> Can you do Tuesday?', 'Yes, after 2pm.', '', '> And bring the slides?', '> Both decks.', 'Only the first one.', ''].join('\n');
    expect(extractReplyText(text)).toBe('My answers are inline.\n\nYes, after 2pm.\n\nOnly the first one.');
  });

  it('the "-- " signature and a mobile sign-off', () => {
    expect(extractReplyText('Here is the report.\n\n-- \nBob Builder\nACME Corp | +1 555 0100\n')).toBe('Here is the report.');
    expect(extractReplyText('ok\n\nSent from my iPhone\n\nOn Mar 3, 2025, at 10:02, Alice <a@x.example> wrote:\n> hi\n')).toBe('ok');
    // A signature above the quoted thread ends where the quote begins; the answer below the quote stays.
    expect(extractReplyText('top\n-- \nsig\n> quoted\nbottom answer')).toBe('top\nbottom answer');
  });

  it('other languages: French, German with the name after the verb, Spanish', () => {
    expect(extractReplyText("D'accord.\n\nLe lun. 3 mars 2025 à 10:02, Alice <alice@example.com> a écrit :\n> Bonjour\n")).toBe("D'accord.");
    expect(extractReplyText('Gut.\n\nAm 03.03.2025 um 10:02 schrieb Alice <alice@example.com>:\n> Hallo\n')).toBe('Gut.');
    expect(extractReplyText('Vale.\n\nEl lun, 3 mar 2025 a las 10:02, Alice (<alice@example.com>) escribió:\n> Hola\n')).toBe('Vale.');
  });

  it('an attribution with no quote under it cuts the unquoted history (text rendered from HTML)', () => {
    expect(extractReplyText('See you then.\n\nOn Mon, Mar 3, 2025 at 10:02 AM Alice <alice@example.com> wrote:\nCan we meet?\n\nAlice')).toBe('See you then.');
  });

  it('leaves a message with no history as it is, and returns the whole text when nothing new is left', () => {
    const plain = 'Hello Bob,\n\nthe meeting is on Tuesday.\nFrom: the desk of Alice\n\nRegards';
    expect(extractReplyText(plain)).toBe(plain);
    const forward = '---------- Forwarded message ---------\nFrom: Alice <a@x.example>\n\nthe original';
    expect(extractReplyText(forward)).toBe(forward);
    expect(extractReplyText('')).toBe('');
  });

  it('tells an attribution line apart from prose', () => {
    expect(isAttribution('On Mon, Mar 3, 2025 at 10:02 AM Alice <a@x.example> wrote:')).toBe(true);
    expect(isAttribution('On  Mon,\n 3 Mar   Alice\n wrote:')).toBe(true);
    expect(isAttribution('Once upon a time she wrote a letter')).toBe(false);
  });

  // The npm extractors measured before this one took 0.9 s on one 32 KB line of the first shape.
  it.each([
    ['lines that open an attribution', (n: number) => `${'On a a a a, a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a\n'.repeat(n)}`],
    ['one long line that opens one', (n: number) => `On ${'a '.repeat(n * 20)}\n`],
    ['quotes and blank lines', (n: number) => `${'> q\n\n\n'.repeat(n)}text`],
    ['header-like lines', (n: number) => `${'From: x\nFrom: y\nTo: z\n'.repeat(n)}`],
  ])('is linear in %s (10,000 vs 100,000)', (_what, text) => {
    const small = text(10_000);
    const large = text(100_000);
    const ratio = cpuMsBestOf3(() => extractReplyText(large)) / Math.max(cpuMsBestOf3(() => extractReplyText(small)), 1);
    expect(ratio).toBeLessThan(30);
  });
});
