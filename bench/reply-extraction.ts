/**
 * What one reply extraction costs (relay/src/mime/reply-text.ts, reply-html.ts), to decide whether
 * to compute it when mail is stored or when it is read (docs/PERFORMANCE.md, "Reply extraction"):
 *
 *   npx tsx --conditions=e2a-source bench/reply-extraction.ts [--runs 2000]
 *
 * Prints the median and p99 microseconds of one extraction for a typical Gmail reply (4 KB text and
 * its 9 KB HTML), a long thread (64 KB text and 150 KB HTML), and 1 MB of prose with no history.
 * Figures, not a test: nothing fails on a slow result.
 */
import { extractReplyHtml, extractReplyText } from '@e2a/relay';
import { percentile } from './percentiles.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 2000);

const prose = (lines: number) => Array.from({ length: lines }, (_, i) => `Line ${i} of an ordinary business email, with figures and a few words more.`).join('\n');
const quoted = (lines: number) => prose(lines).replace(/^/gm, '> ');
const attribution = 'On Mon, Mar 3, 2025 at 10:02 AM Alice Smith <alice@example.com> wrote:';
const htmlOf = (reply: string, history: string) =>
  `<div dir="ltr">${reply.split('\n').map((l) => `<div>${l}</div>`).join('')}</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">${attribution}<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">${history.split('\n').map((l) => `<div>${l}</div>`).join('')}</blockquote></div>`;

const cases: Array<[string, string, string]> = [
  ['typical reply', `${prose(10)}\n\n${attribution}\n${quoted(45)}\n`, htmlOf(prose(10), prose(45))],
  ['long thread', `${prose(40)}\n\n${attribution}\n${quoted(800)}\n`, htmlOf(prose(40), prose(800))],
  ['1 MB, no history', prose(13_000), `<div>${prose(13_000).replace(/\n/g, '<br>')}</div>`],
];

process.stdout.write(`node ${process.version}, ${runs} runs per case (50 for 1 MB)\n`);
process.stdout.write('case                 text KB  text p50 µs  text p99 µs  html KB  html p50 µs  html p99 µs\n');
for (const [name, text, html] of cases) {
  // Warm the JIT on the same input before measuring.
  for (let i = 0; i < 20; i++) {
    extractReplyText(text);
    extractReplyHtml(html);
  }
  const scale = text.length > 500_000 ? 50 : runs;
  const t = timeN(() => extractReplyText(text), scale);
  const h = timeN(() => extractReplyHtml(html), scale);
  const kb = (s: string) => (Buffer.byteLength(s) / 1024).toFixed(0).padStart(7);
  const us = (v: number) => v.toFixed(0).padStart(11);
  process.stdout.write(`${name.padEnd(20)} ${kb(text)}  ${us(t.p50)}  ${us(t.p99)}  ${kb(html)}  ${us(h.p50)}  ${us(h.p99)}\n`);
}

function timeN(run: () => void, n: number): { p50: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
