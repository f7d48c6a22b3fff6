/**
 * htmlparser2's Tokenizer reduced to what our HTML readers need: text with entities decoded, start
 * tags with their attributes (lower-cased names, the first of two same-named attributes wins, HTML
 * §13.2.5.33), end tags, and comment and CDATA contents. The Tokenizer is streaming and never builds
 * a tree, so a hostile document costs time linear in its length; html-text.ts (what a reader sees)
 * and reply-html.ts (where the quoted history starts) each keep their own element stack on top.
 */
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

export interface TagEvents {
  text(text: string): void;
  /** `start`: the offset of the tag's `<`; a `<name/>` comes here too (HTML ignores the slash). */
  openTag(name: string, attribs: Record<string, string>, start: number, selfClosing: boolean): void;
  /** `start`: the offset of `</`; `end`: of the closing `>`. */
  closeTag(name: string, start: number, end: number): void;
  comment?(data: string): void;
  cdata?(data: string): void;
}

/** Feeds `html` through `events`; false when a callback threw (the tokenizer itself never does on bad markup). */
export function readTags(html: string, events: TagEvents): boolean {
  let tagName = '';
  let tagStart = 0;
  let attribs: Record<string, string> = {};
  let attribName = '';
  let attribValue = '';
  const callbacks: TokenizerCallbacks = {
    ontext: (start, end) => events.text(html.slice(start, end)),
    ontextentity: (cp) => events.text(String.fromCodePoint(cp)),
    onopentagname: (start, end) => {
      tagName = html.slice(start, end).toLowerCase();
      tagStart = start - 1;
      attribs = {};
    },
    onattribname: (start, end) => {
      attribName = html.slice(start, end).toLowerCase();
      attribValue = '';
    },
    onattribdata: (start, end) => {
      attribValue += html.slice(start, end);
    },
    onattribentity: (cp) => {
      attribValue += String.fromCodePoint(cp);
    },
    onattribend: () => {
      if (!Object.hasOwn(attribs, attribName)) attribs[attribName] = attribValue;
    },
    onopentagend: () => events.openTag(tagName, attribs, tagStart, false),
    onselfclosingtag: () => events.openTag(tagName, attribs, tagStart, true),
    onclosetag: (start, end) => events.closeTag(html.slice(start, end).toLowerCase(), start - 2, end),
    oncomment: (start, end, offset) => events.comment?.(html.slice(start, end - offset)),
    oncdata: (start, end, offset) => events.cdata?.(html.slice(start, end - offset)),
    ondeclaration: () => {},
    onprocessinginstruction: () => {},
    onend: () => {},
  };
  try {
    const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
    tokenizer.write(html);
    tokenizer.end();
    return true;
  } catch {
    return false;
  }
}
