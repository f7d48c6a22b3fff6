import { describe, expect, it } from 'vitest';
import { cpuMsBestOf3 } from '../testing/cpu-time.js';
import { htmlToText } from './html-text.js';
import { extractReplyHtml } from './reply-html.js';

describe('extractReplyHtml on the markup real clients write', () => {
  it('Gmail: div.gmail_quote (attribution and blockquote) and the signature block go; the reply stays byte for byte', () => {
    const reply = '<div dir="ltr">Sounds good, see you <b>Tuesday</b>.<br clear="all"><div><br></div>';
    const html =
      `${reply}<span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Bob Builder<br>ACME</div></div><br>` +
      '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Mar 3, 2025 at 10:02 AM Alice Smith &lt;<a href="mailto:alice@example.com">alice@example.com</a>&gt; wrote:<br></div>' +
      '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div dir="ltr">Can we meet next week?</div></blockquote></div>';
    const out = extractReplyHtml(html);
    expect(out.startsWith(reply)).toBe(true);
    expect(htmlToText(out)).toBe('Sounds good, see you Tuesday.');
    expect(out).not.toContain('Bob Builder');
    expect(out).not.toContain('Can we meet');
  });

  it('Apple Mail: blockquote[type=cite] and the "On … wrote:" element just before it', () => {
    const html =
      '<html><body dir="auto">Yes, Tuesday works.<br><br><div dir="ltr">Sent from my iPhone</div><div dir="ltr"><br>' +
      '<blockquote type="cite">On Mar 3, 2025, at 10:02, Alice Smith &lt;alice@example.com&gt; wrote:<br><br></blockquote></div>' +
      '<div dir="ltr">On Mar 3, 2025, at 10:02, Alice Smith &lt;alice@example.com&gt; wrote:<br></div><blockquote type="cite"><div dir="ltr">Can we meet?</div></blockquote></body></html>';
    const text = htmlToText(extractReplyHtml(html));
    expect(text).toBe('Yes, Tuesday works.\nSent from my iPhone');
  });

  it('Outlook on the web: div#appendonsend and everything after it in its parent', () => {
    const html =
      '<html><body><div class="elementToProof">Thanks, approved.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">' +
      '<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Alice Smith &lt;alice@example.com&gt;<br><b>Sent:</b> Monday, March 3, 2025 10:02 AM<br><b>To:</b> Bob<br><b>Subject:</b> Budget</div>' +
      '<div>Please approve the budget.</div></body></html>';
    const out = extractReplyHtml(html);
    expect(htmlToText(out)).toBe('Thanks, approved.');
    expect(out).toMatch(/<\/body><\/html>$/);
  });

  it("Outlook desktop: Word's header box with the top border, and the quoted body after it in WordSection1", () => {
    const html =
      '<html><body lang="EN-US"><div class="WordSection1"><p class="MsoNormal">Done, see attached.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>' +
      '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in"><p class="MsoNormal"><b>From:</b> Alice Smith &lt;alice@example.com&gt; <br><b>Sent:</b> Monday, March 3, 2025 10:02 AM<br><b>To:</b> Bob<br><b>Subject:</b> Report</p></div>' +
      '<p class="MsoNormal">Can you send the report?</p></div></body></html>';
    const out = extractReplyHtml(html);
    expect(htmlToText(out).trim()).toBe('Done, see attached.');
    expect(out).toContain('</div></body></html>');
  });

  it('Thunderbird: div.moz-cite-prefix, blockquote[type=cite] and div.moz-signature', () => {
    const html =
      '<html><body><p>Agreed.</p><div class="moz-signature">-- <br>Bob</div><div class="moz-cite-prefix">On 3/3/25 10:02, Alice Smith wrote:<br></div>' +
      '<blockquote type="cite" cite="mid:abc@example.com">Shall we?</blockquote></body></html>';
    expect(htmlToText(extractReplyHtml(html))).toBe('Agreed.');
  });

  it('leaves HTML with no history as it is, and returns the whole body when nothing new is left', () => {
    const plain = '<p>Hello <blockquote>a quotation the author wrote</blockquote> bye</p>';
    expect(extractReplyHtml(plain)).toBe(plain);
    const allQuote = '<div class="gmail_quote">---------- Forwarded message ---------<br>the original</div>';
    expect(extractReplyHtml(allQuote)).toBe(allQuote);
  });

  it('copes with unclosed and stray tags: an unclosed quote runs to the end, a stray close tag is ignored', () => {
    expect(htmlToText(extractReplyHtml('<div>keep</span></div><div class="gmail_quote">drop <div>more'))).toBe('keep');
    expect(htmlToText(extractReplyHtml('<div>keep<div class="gmail_quote">drop</div></div><p>after'))).toBe('keep\nafter');
  });

  it.each([
    ['nested elements', (n: number) => `<p>reply</p>${'<div>'.repeat(n)}deep${'</div>'.repeat(n)}<div class="gmail_quote">q</div>`],
    ['close tags of elements never opened', (n: number) => `<p>reply</p>${'<div>'.repeat(n)}${'</span>'.repeat(n)}`],
    ['many quotes', (n: number) => `${'<p>a</p><blockquote type="cite"><div>On x wrote:</div>q</blockquote>'.repeat(n)}`],
  ])('is linear in %s (10,000 vs 100,000)', (_what, html) => {
    const small = html(10_000);
    const large = html(100_000);
    const ratio = cpuMsBestOf3(() => extractReplyHtml(large)) / Math.max(cpuMsBestOf3(() => extractReplyHtml(small)), 1);
    expect(ratio).toBeLessThan(30);
  });
});
