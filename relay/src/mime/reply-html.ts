/**
 * The new part of a reply (HTML): the body with the quoted history and the signature blocks that
 * mail clients mark in their markup cut out, and everything else left byte for byte as it was.
 * reply-text.ts is the same for plain text and says why neither is an npm library; the only
 * maintained HTML one (planer) needs a whole DOM.
 *
 * Read with htmlparser2's tokenizer and an open-element stack of our own, as html-text.ts reads
 * HTML, so the cost is linear in the input whatever the nesting. What is cut:
 *
 *   the element         Gmail's div.gmail_quote (attribution and quote), div.gmail_signature and
 *                       the "-- " before it, blockquote[type=cite] (Apple Mail, Thunderbird) with
 *                       an attribution just before it, Thunderbird's div.moz-cite-prefix and
 *                       div.moz-signature, Yahoo's div.yahoo_quoted, Proton's .protonmail_quote;
 *   it and what follows Outlook's reply header (div#appendonsend, div#divRplyFwdMsg, hr#stopSpelling,
 *   in its parent        div#mail-editor-reference-message-container, div.OutlookMessageHeader, and
 *                       Word's header box, a div with a top border in #E1E1E1 or #B5C4DF): the
 *                       earlier message follows it as siblings, up to the parent's end tag.
 */
import { readTags } from './html-tags.js';
import { htmlToText } from './html-text.js';
import { isAttribution } from './reply-text.js';

/** HTML §13.1.2: elements that have no content and no end tag. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** The text of a previous sibling is kept up to this many characters: enough for an attribution. */
const SIBLING_TEXT_MAX = 400;

type Cut = 'element' | 'rest';

function classes(attribs: Record<string, string>): string[] {
  return (attribs.class ?? '').toLowerCase().split(/\s+/);
}

/** What a start tag marks, if anything. */
function markerOf(name: string, attribs: Record<string, string>): Cut | null {
  const id = (attribs.id ?? '').toLowerCase();
  const cls = classes(attribs);
  if (name === 'blockquote' && (attribs.type ?? '').toLowerCase() === 'cite') return 'element';
  if (cls.some((c) => ELEMENT_CLASSES.has(c)) || attribs['data-smartmail'] === 'gmail_signature') return 'element';
  if (REST_IDS.has(id) || cls.includes('outlookmessageheader')) return 'rest';
  if (name === 'div' && attribs.style) {
    const style = attribs.style.toLowerCase().replace(/\s+/g, '');
    if (style.includes('border-top:solid#e1e1e1') || style.includes('border-top:solid#b5c4df')) return 'rest';
  }
  return null;
}

const ELEMENT_CLASSES = new Set(['gmail_quote', 'gmail_quote_container', 'gmail_signature', 'gmail_signature_prefix', 'moz-cite-prefix', 'moz-signature', 'yahoo_quoted', 'protonmail_quote']);
const REST_IDS = new Set(['appendonsend', 'divrplyfwdmsg', 'stopspelling', 'mail-editor-reference-message-container']);

interface Frame {
  tag: string;
  /** Where this element's start tag begins. */
  start: number;
  /** Cut this whole element, from `cutFrom` (its start, or an attribution's before it). */
  cutFrom: number | null;
  /** Cut from here to this element's end tag: a marker among its children said the rest is history. */
  restFrom: number | null;
  /** The last child element, for an attribution just before a blockquote; null once text follows it. */
  last: { start: number; text: string } | null;
  /** This element's text, up to SIBLING_TEXT_MAX. */
  text: string;
}

/**
 * The reply's own HTML. When the cuts leave no text a reader would see, the whole body is
 * returned, as extractReplyText does: then the history is the message.
 */
export function extractReplyHtml(html: string): string {
  const root: Frame = { tag: '#root', start: 0, cutFrom: null, restFrom: null, last: null, text: '' };
  const stack: Frame[] = [root];
  /** How many frames of each tag name are open: a close tag for none of them is dropped in O(1). */
  const open = new Map<string, number>();
  const cuts: Array<[number, number]> = [];
  /** Frames on the stack that are inside a cut: markers there change nothing. */
  let cutting = 0;
  const top = () => stack[stack.length - 1]!;

  /** Ends `frame` at `end` (its end tag's end, or where an ancestor's end tag closed it). */
  const finish = (frame: Frame, end: number, closeStart: number) => {
    if (frame.restFrom !== null) {
      cuts.push([frame.restFrom, closeStart]);
      cutting--;
    }
    if (frame.cutFrom !== null) {
      cuts.push([frame.cutFrom, end]);
      cutting--;
    }
    const parent = top();
    parent.last = { start: frame.start, text: frame.text };
    if (parent.text.length < SIBLING_TEXT_MAX) parent.text += frame.text.slice(0, SIBLING_TEXT_MAX - parent.text.length);
  };
  const pop = (end: number, closeStart: number): Frame => {
    const frame = stack.pop()!;
    open.set(frame.tag, open.get(frame.tag)! - 1);
    finish(frame, end, closeStart);
    return frame;
  };
  const text = (data: string) => {
    const frame = top();
    if (data.trim() !== '') frame.last = null;
    if (frame.text.length < SIBLING_TEXT_MAX) frame.text += data.slice(0, SIBLING_TEXT_MAX - frame.text.length);
  };

  const openTag = (tagName: string, attribs: Record<string, string>, tagStart: number) => {
    const parent = top();
    const marker = cutting > 0 ? null : markerOf(tagName, attribs);
    if (marker === 'rest') {
      parent.restFrom = tagStart;
      cutting++;
    }
    if (VOID.has(tagName)) {
      parent.last = { start: tagStart, text: '' };
      return;
    }
    const frame: Frame = { tag: tagName, start: tagStart, cutFrom: null, restFrom: null, last: null, text: '' };
    if (marker === 'element') {
      // Apple Mail writes "On …, … wrote:" in the element just before its blockquote.
      const before = tagName === 'blockquote' && parent.last && isAttribution(parent.last.text) ? parent.last.start : tagStart;
      frame.cutFrom = before;
      cutting++;
    }
    stack.push(frame);
    open.set(tagName, (open.get(tagName) ?? 0) + 1);
  };

  const read = readTags(html, {
    text,
    // HTML ignores the slash of `<div/>`: the element stays open, as a start tag would leave it.
    openTag: (name, attribs, start) => openTag(name, attribs, start),
    closeTag: (name, closeStart, end) => {
      if ((open.get(name) ?? 0) === 0) return;
      // The frames `</name>` closes end where it ends.
      while (top().tag !== name) pop(closeStart, closeStart);
      pop(end + 1, closeStart);
    },
  });
  // readTags fails only on a callback bug, not on the input: the body is then left whole.
  if (!read) return html;
  // Elements left open at the end run to the end of the document.
  while (stack.length > 1) pop(html.length, html.length);
  if (root.restFrom !== null) cuts.push([root.restFrom, html.length]);
  if (cuts.length === 0) return html;
  cuts.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [from, to] of cuts) {
    if (from > at) parts.push(html.slice(at, from));
    at = Math.max(at, to);
  }
  parts.push(html.slice(at));
  const reply = parts.join('');
  return htmlToText(reply).trim() === '' ? html : reply;
}
