/**
 * Messages built to make a mail gateway do super-linear or unbounded work, each with the answer it
 * must get under the default limits (DEFAULT_MESSAGE_LIMITS), with the content scan at `high`. The
 * corpus test
 * (api/src/inbound/pathological.test.ts) sends them over SMTP while another client measures how long
 * the gateway takes to answer /readyz and NOOP; `npm run bench -- pathological` reports the same.
 */

/** What the gateway must answer: 250 with the message readable, or a refusal naming the limit. */
export type PathologicalAnswer =
  | { code: 250; enhanced: '2.0.0'; /** Text the stored message's text body must contain. */ readable: string }
  | { code: 552 | 554; enhanced: string; /** The reply text must name the limit. */ names: RegExp };

export interface PathologicalItem {
  name: string;
  /** What it is and what it used to cost. */
  about: string;
  answer: PathologicalAnswer;
  build(to: string, messageId: string): Buffer;
}

function message(to: string, messageId: string, subject: string, contentType: string, body: string, extraHeaders = ''): Buffer {
  return Buffer.from(
    `From: Mallory <mallory@example.com>\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\n` +
      `Message-ID: <${messageId}>\r\n${extraHeaders}MIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n${body}\r\n`,
    'latin1',
  );
}

/**
 * `unit` repeated to about `bytes`, in lines SMTP can carry (RFC 5321 §4.5.3.1.6: 1,000 octets) that
 * break only between units, so markup is not cut inside a tag.
 */
function filler(unit: string, bytes: number, lineBytes = 900): string {
  const line = unit.repeat(Math.max(1, Math.floor(lineBytes / unit.length)));
  return Array.from({ length: Math.ceil(bytes / line.length) }, () => line).join('\r\n');
}

/** Base64 in 76-character lines (RFC 2045 §6.8): the decoded text is one run, line breaks and all. */
function base64Lines(text: string): string {
  return (Buffer.from(text, 'latin1').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** A text part (base64, so the decoded text is exactly `text`) for the content scan at high. */
function scanBomb(name: string, about: string, text: string, readable: string): PathologicalItem {
  return {
    name,
    about,
    answer: { code: 250, enhanced: '2.0.0', readable },
    build: (to, id) => message(to, id, name, 'text/plain; charset=us-ascii', base64Lines(text), 'Content-Transfer-Encoding: base64\r\n'),
  };
}

const MB = 1_000_000;

export const PATHOLOGICAL: PathologicalItem[] = [
  {
    name: 'deep-html',
    // The part that froze the gateway was 2.2 MB of `<div>…</div>`; unclosed `<b>` nest as deep in
    // 0.6 MB, so what is measured is the HTML work, not the embedded database storing megabytes on
    // the event loop (docs/PERFORMANCE.md).
    about: "200,000 nested elements in an HTML part (2.2 MB of them took 55 s in mailparser's HTML-to-text)",
    answer: { code: 250, enhanced: '2.0.0', readable: 'deep inside' },
    build: (to, id) => message(to, id, 'deep-html', 'text/html; charset=us-ascii', `${filler('<b>', 600_000)}deep inside`),
  },
  {
    name: 'folded-header-bomb',
    about: 'a 5 MiB header of 75,000 folded lines: 30 s in mailauth\'s header parser',
    answer: { code: 552, enhanced: '5.3.4', names: /over 262144 bytes/ },
    build: (to, id) => message(to, id, 'folded-header-bomb', 'text/plain', 'hi', `X-Filler: start\r\n${` ${'f'.repeat(67)}\r\n`.repeat(75_000)}`),
  },
  {
    name: 'folded-header-lines',
    about: '40,000 short folded lines (160 KB, under the byte limit): 7 s in mailauth',
    answer: { code: 552, enhanced: '5.3.4', names: /over 5000 lines/ },
    build: (to, id) => message(to, id, 'folded-header-lines', 'text/plain', 'hi', `X-Filler: start\r\n${' f\r\n'.repeat(40_000)}`),
  },
  {
    name: 'header-field-flood',
    about: '20,000 header fields',
    answer: { code: 552, enhanced: '5.3.4', names: /over 5000 lines/ },
    build: (to, id) => message(to, id, 'header-field-flood', 'text/plain', 'hi', 'X-Flood: x\r\n'.repeat(20_000)),
  },
  // 100 KB each, the size that froze the gateway (34 s for `a-a-a-…`): scanned on the event loop,
  // so this is the linear rules at work, not the worker thread.
  scanBomb('scan-high-entropy', '100 KB of "a-a-a-…" in one run (high_entropy: 34 s)', `entropy bomb ${'a-'.repeat(50_000)}`, 'entropy bomb'),
  scanBomb('scan-role-marker', '"system" and 100 KB of newlines (role_marker)', `system${'\n'.repeat(100_000)}x`, 'system'),
  scanBomb('scan-jwt', '100 KB of "eyJ-eyJ-…" in one run (jwt)', `jwt bomb ${'eyJ-'.repeat(25_000)}`, 'jwt bomb'),
  scanBomb('scan-command', '100 KB of "curl -curl -…" (command_exec)', `command bomb ${'curl -'.repeat(16_667)}`, 'command bomb'),
  {
    name: 'deep-multipart',
    about: 'multiparts nested 100 deep',
    answer: { code: 554, enhanced: '5.6.0', names: /deeper than 32 levels/ },
    build: (to, id) => {
      const depth = 100;
      let body = '';
      for (let i = 0; i < depth; i++) body += `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n`;
      body += `--b${depth}\r\nContent-Type: text/plain\r\n\r\nbottom\r\n--b${depth}--\r\n`;
      for (let i = depth - 1; i >= 0; i--) body += `--b${i}--\r\n`;
      return message(to, id, 'deep-multipart', 'multipart/mixed; boundary="b0"', body);
    },
  },
  {
    name: 'many-parts',
    about: '5,000 MIME parts',
    answer: { code: 554, enhanced: '5.6.0', names: /over 1000 parts/ },
    build: (to, id) => {
      let body = '';
      for (let i = 0; i < 5000; i++) body += `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`;
      return message(to, id, 'many-parts', 'multipart/mixed; boundary="b"', `${body}--b--`);
    },
  },
];

/**
 * Not crafted, only large: an 8 MB HTML part of ordinary markup. Every step is linear, but linear
 * over 8 MB is seconds of work in all, which must not happen on the event loop either.
 */
export const LARGE_HTML: PathologicalItem = {
  name: 'large-html',
  about: 'an 8 MB HTML part of ordinary markup: linear, but seconds of work in all',
  answer: { code: 250, enhanced: '2.0.0', readable: 'quarterly numbers' },
  build: (to, id) => message(to, id, 'large-html', 'text/html; charset=us-ascii', filler('<p>The quarterly numbers are in the <b>shared</b> folder.</p>', 8 * MB)),
};
