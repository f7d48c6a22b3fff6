/**
 * What a model reading an HTML mail would "see" that a human would not: the text split into what
 * renders and what is hidden (CSS tricks, comments, attributes). Prompt injection in mail is usually
 * hidden from the human reader, so the scanner treats hidden text with more suspicion. Parsed with
 * htmlparser2 (a tolerant, spec-following tokenizer): regex over HTML misses nesting, entities and
 * malformed markup, which is exactly what an attacker controls.
 */
import { Parser } from 'htmlparser2';

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

interface Frame {
  tag: string;
  /** Null when visible; otherwise the reason this subtree is hidden. */
  hidden: string | null;
  ignored: boolean;
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
    out.set(decl.slice(0, colon).trim().toLowerCase(), decl.slice(colon + 1).trim().toLowerCase().replace(/\s*!important$/, ''));
  }
  return out;
}

/** A length in px (em/rem/pt approximated); null when not a plain length. */
function px(value: string | undefined): number | null {
  if (!value) return null;
  const m = /^(-?\d*\.?\d+)(px|pt|em|rem|%)?$/.exec(value.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 'px';
  return unit === 'em' || unit === 'rem' ? n * 16 : unit === 'pt' ? n * 1.33 : unit === '%' ? (n / 100) * 16 : n;
}

/** Why an element's own style hides it, or null. Inherited hiding is handled by the frame stack. */
function hiddenByStyle(attribs: Record<string, string>, s: Map<string, string>, color: string | null, background: string | null): string | null {
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
function colours(attribs: Record<string, string>, s: Map<string, string>, parent: Frame): { color: string | null; background: string | null } {
  const color = s.get('color') ?? attribs.color;
  const bg = s.get('background-color') ?? (s.get('background')?.split(/\s+/)[0] || undefined) ?? attribs.bgcolor;
  const norm = (v: string) => {
    const c = normColor(v);
    return c === 'white' || c === '#fff' ? '#ffffff' : c;
  };
  return { color: color ? norm(color) : parent.color, background: bg ? norm(bg) : parent.background };
}

const BLOCK = /^(p|div|br|tr|li|h[1-6]|table|section|article|blockquote|hr|td|th)$/;

/** Splits an HTML body into rendered and hidden text. Never throws: a parse problem yields what was read. */
export function extractHtmlText(html: string): HtmlText {
  const root: Frame = { tag: '#root', hidden: null, ignored: false, color: null, background: null };
  const stack: Frame[] = [root];
  const visible: string[] = [];
  const hidden: HiddenText[] = [];
  const top = () => stack[stack.length - 1]!;
  const pushHidden = (text: string, why: string) => {
    const t = text.replace(/\s+/g, ' ').trim();
    if (t) hidden.push({ text: t, why });
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const parent = top();
        const style = parseStyle(attribs.style ?? '');
        const { color, background } = colours(attribs, style, parent);
        let reason = parent.hidden ?? NON_RENDERED.get(name) ?? hiddenByStyle(attribs, style, color, background);
        if (name === 'input' && attribs.type?.toLowerCase() === 'hidden') {
          pushHidden(attribs.value ?? '', 'hidden input value');
        }
        if (!parent.ignored) {
          for (const attr of TEXT_ATTRIBUTES) {
            if (attribs[attr]) pushHidden(attribs[attr], `${attr} attribute`);
          }
        }
        if (name === 'meta' && attribs.content && /description|preview/i.test(attribs.name ?? '')) pushHidden(attribs.content, 'meta content');
        if (name === 'img' && (px(attribs.width) ?? 99) <= 1 && (px(attribs.height) ?? 99) <= 1) reason ??= 'tiny image';
        stack.push({ tag: name, hidden: reason, ignored: parent.ignored || IGNORED.has(name), color, background });
        if (BLOCK.test(name) && !reason) visible.push('\n');
      },
      ontext(data) {
        const frame = top();
        if (frame.ignored) return;
        if (frame.hidden) pushHidden(data, frame.hidden);
        else visible.push(data);
      },
      onclosetag(name) {
        // htmlparser2 closes implied and void elements itself; pop to the matching frame.
        for (let i = stack.length - 1; i > 0; i--) {
          if (stack[i]!.tag === name) {
            stack.length = i;
            break;
          }
        }
        if (BLOCK.test(name)) visible.push('\n');
      },
      oncomment(data) {
        if (!/^\[if |^\[endif\]|^<!\[endif\]/i.test(data.trim())) pushHidden(data, 'HTML comment');
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  try {
    parser.write(html);
    parser.end();
  } catch {
    // htmlparser2 does not throw on malformed markup; this guards a callback bug, not the input.
  }
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
