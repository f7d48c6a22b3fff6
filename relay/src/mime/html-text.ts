/**
 * HTML to text, the one place that reads HTML: what a reader would see (the parser's text of an
 * HTML-only message, review previews) and what a model would read that a reader would not (the
 * content scan's hidden text: CSS tricks, comments, attributes). Prompt injection in mail is usually
 * hidden from the human reader, so the scanner treats hidden text with more suspicion.
 *
 * Linear in the input, whatever the markup. htmlparser2's tokenizer (a tolerant, spec-following
 * state machine) reads the markup; the open-element stack is ours, because htmlparser2's Parser
 * keeps its stack with `unshift` and finds a close tag's element with `indexOf`, both O(depth):
 * 40,000 nested `<div>`s took 1.3 s there and html-to-text (mailparser's converter) 55 s for
 * 200,000. Here a close tag whose element is not open costs O(1) (a count per tag name), and each
 * element is pushed and popped once.
 */
import { readTags } from './html-tags.js';

export interface HiddenText {
  text: string;
  /** Why it is hidden: "display:none", "HTML comment", "alt attribute", … */
  why: string;
}

export interface HtmlText {
  visible: string;
  hidden: HiddenText[];
}

/** Elements whose content never renders as body text but which a model may well read. */
const NON_RENDERED = new Map([
  ['script', '<script> content'],
  ['template', '<template> content'],
  ['noscript', '<noscript> content'],
  ['title', '<title> content'],
  ['head', '<head> content'],
]);
/** Content that is neither shown nor prose (CSS, embedded objects). */
const IGNORED = new Set(['style', 'svg', 'math', 'object', 'iframe']);
/** Attributes that hold text a human rarely sees but an HTML-to-text converter often keeps. */
const TEXT_ATTRIBUTES = ['alt', 'title', 'aria-label', 'placeholder', 'data-instructions'];
/** HTML §13.1.2: elements that have no content and no end tag. */
const VOID = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Start tags that close an open element of these names when it is the current one (HTML §13.1.2.4, as htmlparser2). */
const P_CLOSERS = ['address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'ul'];
const IMPLIES_CLOSE = new Map<string, Set<string>>([
  ...P_CLOSERS.map((tag): [string, Set<string>] => [tag, new Set(['p'])]),
  ['tr', new Set(['tr', 'th', 'td'])],
  ['th', new Set(['th'])],
  ['td', new Set(['thead', 'th', 'td'])],
  ['li', new Set(['li'])],
  ['dd', new Set(['dt', 'dd'])],
  ['dt', new Set(['dt', 'dd'])],
  ['option', new Set(['option'])],
  ['optgroup', new Set(['optgroup', 'option'])],
  ['tbody', new Set(['thead', 'tbody'])],
  ['tfoot', new Set(['thead', 'tbody'])],
]);
/** Inside these, `<x/>` closes itself (foreign content, HTML §13.2.6.5); in HTML it does not. */
const FOREIGN = new Set(['svg', 'math']);

interface Frame {
  tag: string;
  /** Null when visible; otherwise the reason this subtree is hidden. */
  hidden: string | null;
  ignored: boolean;
  foreign: boolean;
  color: string | null;
  background: string | null;
}

const WHITE = new Set(['#fff', '#ffffff', 'white', 'rgb(255,255,255)', 'rgba(255,255,255,1)', '#fefefe', '#fdfdfd']);

function normColor(value: string): string {
  return value.toLowerCase().replace(/\s+/g, '').replace(/!important$/, '');
}

function parseStyle(style: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const decl of style.split(';')) {
    const colon = decl.indexOf(':');
    if (colon < 0) continue;
    // `/\s*!important$/` would retry from every blank of a long run of them: strip, then trim.
    let value = decl.slice(colon + 1).trim().toLowerCase();
    if (value.endsWith('!important')) value = value.slice(0, -'!important'.length).trimEnd();
    out.set(decl.slice(0, colon).trim().toLowerCase(), value);
  }
  return out;
}

/** A length in px (em/rem/pt approximated); null when not a plain length. */
function px(value: string | undefined): number | null {
  if (!value) return null;
  // One way to match each number (`\d*\.?\d+` has many, and backtracks quadratically on "111…1x").
  const m = /^(-?(?:\d+(?:\.\d+)?|\.\d+))(px|pt|em|rem|%)?$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 'px';
  return unit === 'em' || unit === 'rem' ? n * 16 : unit === 'pt' ? n * 1.33 : unit === '%' ? (n / 100) * 16 : n;
}

/** Why an element's own style hides it, or null. Inherited hiding is handled by the frame stack. */
function hiddenByStyle(attribs: Record<string, string>, s: ReadonlyMap<string, string>, color: string | null, background: string | null): string | null {
  if ('hidden' in attribs) return 'hidden attribute';
  if (s.get('display') === 'none') return 'display:none';
  if (s.get('visibility') === 'hidden' || s.get('visibility') === 'collapse') return 'visibility:hidden';
  if (s.get('mso-hide') === 'all') return 'mso-hide:all';
  const opacity = s.get('opacity');
  if (opacity !== undefined && Number(opacity) <= 0.05) return 'opacity:0';
  const fontSize = px(s.get('font-size'));
  if (fontSize !== null && fontSize <= 2) return 'font-size:0';
  for (const dim of ['width', 'height', 'max-height', 'max-width']) {
    const v = px(s.get(dim));
    if (v !== null && v <= 1 && (s.get('overflow') === 'hidden' || dim.startsWith('max'))) return 'zero-size box';
  }
  const indent = px(s.get('text-indent'));
  if (indent !== null && indent <= -500) return 'off-screen (text-indent)';
  if (s.get('position') === 'absolute' || s.get('position') === 'fixed') {
    for (const side of ['left', 'top', 'right']) {
      const v = px(s.get(side));
      if (v !== null && v <= -500) return 'off-screen (position)';
    }
  }
  const clip = s.get('clip') ?? s.get('clip-path') ?? '';
  if (/rect\(\s*0(px)?[\s,]+0(px)?[\s,]+0(px)?[\s,]+0(px)?\s*\)|inset\(\s*(50|100)%/.test(clip)) return 'clipped away';
  if (/scale\(\s*0(\.0+)?\s*\)/.test(s.get('transform') ?? '')) return 'transform:scale(0)';
  const fg = color ?? '';
  if (fg === 'transparent') return 'color:transparent';
  // White-on-white (or any text in its own background colour); mail renders on white by default.
  if (fg && fg === (background ?? '#ffffff')) return 'text colour equals background';
  if (fg && WHITE.has(fg) && (background === null || WHITE.has(background))) return 'white text on white';
  return null;
}

/** Colours normalised (`white` and `#fff` become `#ffffff`), inherited from the parent when unset. */
function colours(attribs: Record<string, string>, s: ReadonlyMap<string, string>, parent: Frame): { color: string | null; background: string | null } {
  const color = s.get('color') ?? attribs.color;
  const bg = s.get('background-color') ?? (s.get('background')?.split(/\s+/)[0] || undefined) ?? attribs.bgcolor;
  const norm = (v: string) => {
    const c = normColor(v);
    return c === 'white' || c === '#fff' ? '#ffffff' : c;
  };
  return { color: color ? norm(color) : parent.color, background: bg ? norm(bg) : parent.background };
}

const BLOCK = /^(p|div|br|tr|li|h[1-6]|table|section|article|blockquote|hr|td|th)$/;
const NO_STYLE: ReadonlyMap<string, string> = new Map();

/** Splits an HTML body into rendered and hidden text. Never throws: a parse problem yields what was read. */
export function extractHtmlText(html: string): HtmlText {
  const root: Frame = { tag: '#root', hidden: null, ignored: false, foreign: false, color: null, background: null };
  const stack: Frame[] = [root];
  /** How many frames of each tag name are open: a close tag for none of them is dropped in O(1). */
  const open = new Map<string, number>();
  const visible: string[] = [];
  const hidden: HiddenText[] = [];
  const top = () => stack[stack.length - 1]!;
  const pushHidden = (text: string, why: string) => {
    const t = text.replace(/\s+/g, ' ').trim();
    if (t) hidden.push({ text: t, why });
  };

  const text = (data: string) => {
    const frame = top();
    if (frame.ignored) return;
    if (frame.hidden) pushHidden(data, frame.hidden);
    else visible.push(data);
  };
  const pop = (): Frame => {
    const frame = stack.pop()!;
    open.set(frame.tag, open.get(frame.tag)! - 1);
    if (BLOCK.test(frame.tag)) visible.push('\n');
    return frame;
  };
  const push = (name: string, attribs: Record<string, string>) => {
    const closes = IMPLIES_CLOSE.get(name);
    while (closes && stack.length > 1 && closes.has(top().tag)) pop();
    const parent = top();
    // Without attributes an element can only inherit: its parent's colours already passed the checks.
    const bare = Object.keys(attribs).length === 0;
    const style = bare ? NO_STYLE : parseStyle(attribs.style ?? '');
    const { color, background } = bare ? parent : colours(attribs, style, parent);
    let reason = parent.hidden ?? NON_RENDERED.get(name) ?? (bare ? null : hiddenByStyle(attribs, style, color, background));
    if (name === 'input' && attribs.type?.toLowerCase() === 'hidden') pushHidden(attribs.value ?? '', 'hidden input value');
    if (!parent.ignored) {
      for (const attr of TEXT_ATTRIBUTES) {
        if (attribs[attr]) pushHidden(attribs[attr], `${attr} attribute`);
      }
    }
    if (name === 'meta' && attribs.content && /description|preview/i.test(attribs.name ?? '')) pushHidden(attribs.content, 'meta content');
    if (name === 'img' && (px(attribs.width) ?? 99) <= 1 && (px(attribs.height) ?? 99) <= 1) reason ??= 'tiny image';
    if (BLOCK.test(name) && !reason) visible.push('\n');
    if (VOID.has(name)) {
      if (BLOCK.test(name)) visible.push('\n');
      return;
    }
    stack.push({ tag: name, hidden: reason, ignored: parent.ignored || IGNORED.has(name), foreign: parent.foreign || FOREIGN.has(name), color, background });
    open.set(name, (open.get(name) ?? 0) + 1);
  };
  const close = (name: string) => {
    if ((open.get(name) ?? 0) > 0) {
      while (pop().tag !== name);
    } else if (name === 'p' || name === 'br') {
      // HTML §13.2.6.4.7: a stray `</p>` or `</br>` still breaks the line.
      visible.push('\n');
    }
  };

  // A callback bug, not the input, is the only way readTags fails: what was read so far stands.
  readTags(html, {
    text,
    openTag: (name, attribs, _start, selfClosing) => {
      push(name, attribs);
      if (selfClosing && top().tag === name && top().foreign) close(name);
    },
    closeTag: (name) => close(name),
    comment: (data) => {
      if (!/^\[if |^\[endif\]|^<!\[endif\]/i.test(data.trim())) pushHidden(data, 'HTML comment');
    },
    cdata: (data) => pushHidden(data, 'HTML comment'),
  });
  // Adjacent text nodes from one hidden element belong together.
  const merged: HiddenText[] = [];
  for (const h of hidden) {
    const last = merged[merged.length - 1];
    if (last && last.why === h.why) last.text = `${last.text} ${h.text}`;
    else merged.push({ ...h });
  }
  return {
    visible: visible.join('').replace(/[ \t\r\f\v]+/g, ' ').replace(/\n\s*/g, '\n').trim(),
    hidden: merged,
  };
}

/** What a reader sees of an HTML body, as plain text: the parser's text for an HTML-only message. */
export function htmlToText(html: string): string {
  return extractHtmlText(html).visible;
}
