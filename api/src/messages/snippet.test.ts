/** Snippets (snippet.ts): the sender's text escaped, ts_headline's marks as <mark>, nothing else. */
import { describe, expect, it } from 'vitest';
import { headlineDocument, SNIPPET_CHARS, snippetHtml } from './snippet.js';

const START = '\u0001';
const STOP = '\u0002';

describe('snippets', () => {
  it("escapes the sender's text and turns the marks into <mark>", () => {
    expect(snippetHtml(`a <b onclick="x">&'\n ${START}word${STOP} \t end`)).toBe('a &lt;b onclick=&quot;x&quot;&gt;&amp;&#39; <mark>word</mark> end');
  });

  it('takes the mark characters out of the text, so a sender cannot open or close a mark', () => {
    const doc = headlineDocument({ body: `x${START}<img src=y>${STOP}\u0000z`, filenames: [null, 'a.pdf'] });
    expect(doc).toBe('x <img src=y>  z\na.pdf');
    expect(snippetHtml(doc)).toBe('x &lt;img src=y&gt; z a.pdf');
  });

  it('cuts a long passage, closing an open mark, and drops a stray one', () => {
    const long = snippetHtml(`${START}${'w'.repeat(SNIPPET_CHARS + 50)}${STOP}`);
    expect(long).toBe(`<mark>${'w'.repeat(SNIPPET_CHARS)}…</mark>`);
    expect(snippetHtml(`a${STOP}b${START}c${START}d`)).toBe('ab<mark>cd</mark>');
  });
});
