/**
 * The content scan: prompt injection and secret/data exfiltration over the subject, the text part,
 * and the visible AND hidden text of the HTML part. Hidden text is where injection lives (the human
 * sees a normal mail, the model reads the instructions), so:
 *   - a rule that matches in hidden text fires one sensitivity level earlier than in visible text;
 *   - at `high`, any hidden prose at all is reported, matched or not.
 * Returns hits as data; the gate turns them into an action.
 */
import { extractHtmlText } from '@e2a/relay';
import type { Protection } from '@e2a/sdk/wire';
import { INJECTION_RULES, SECRET_RULES, SENSITIVITY_RANK, ruleMatches, type ScanCategory, type ScanRule, type Sensitivity } from './scan-rules.js';

export interface ScanInput {
  subject: string | null;
  text: string | null;
  html: string | null;
}

export interface ScanHit {
  category: ScanCategory;
  rule: string;
  /** Where it was found: "subject", "text", "html", or "hidden html (display:none)". */
  where: string;
  /** One line for reviewers; secrets are named, never quoted. */
  reason: string;
}

/** Hidden prose shorter than this is layout noise (a spacer, a tracking alt="") rather than content. */
const HIDDEN_PROSE_MIN_WORDS = 6;
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD\u180E]/g;

/** Blank runs other than a lone space: replacing every single space with itself cost 1.5 s on 24 MB of prose. */
const BLANKS = /[\t\f\v\u00A0][ \t\f\v\u00A0]*| [ \t\f\v\u00A0]+/g;

function normalise(text: string): string {
  return text.normalize('NFKC').replace(ZERO_WIDTH, '').replace(BLANKS, ' ');
}

/** At least `n` words, counted without splitting the whole text into an array. */
function hasWords(text: string, n: number): boolean {
  const word = /\S+/g;
  for (let i = 0; i < n; i++) if (!word.exec(text)) return false;
  return true;
}

function describe(rule: ScanRule, where: string): string {
  const what = rule.category === 'prompt_injection' ? 'possible prompt injection' : 'possible secret or personal data';
  return `${what} in ${where}: ${rule.label}`;
}

interface Segment {
  text: string;
  where: string;
  /** Why the text is hidden (HiddenText.why), or null when it is shown. */
  hidden: string | null;
}

function segments(input: ScanInput): Segment[] {
  const out: Segment[] = [];
  if (input.subject) out.push({ text: input.subject, where: 'subject', hidden: null });
  if (input.text) out.push({ text: input.text, where: 'text body', hidden: null });
  if (input.html) {
    const { visible, hidden } = extractHtmlText(input.html);
    // Identical to the text part in most mail; scanning it again would only duplicate hits.
    if (visible && visible !== input.text?.trim()) out.push({ text: visible, where: 'HTML body', hidden: null });
    for (const h of hidden) out.push({ text: h.text, where: `hidden HTML text (${h.why})`, hidden: h.why });
  }
  return out;
}

export function scanContent(input: ScanInput, sensitivity: Protection['content_scan']['sensitivity']): ScanHit[] {
  if (sensitivity === 'off') return [];
  const rank = SENSITIVITY_RANK[sensitivity as Sensitivity];
  const hits: ScanHit[] = [];
  const seen = new Set<string>();
  const add = (hit: ScanHit) => {
    const key = `${hit.rule}\n${hit.where}`;
    if (seen.has(key)) return;
    seen.add(key);
    hits.push(hit);
  };
  for (const seg of segments(input)) {
    const plain = normalise(seg.text);
    const lower = plain.toLowerCase();
    // Hidden text gets one level of extra suspicion (a `medium` rule fires at `low`).
    const effective = Math.min(3, rank + (seg.hidden !== null ? 1 : 0));
    for (const rule of INJECTION_RULES) {
      if (SENSITIVITY_RANK[rule.level] <= effective && ruleMatches(rule, lower)) add({ category: rule.category, rule: rule.id, where: seg.where, reason: describe(rule, seg.where) });
    }
    for (const rule of SECRET_RULES) {
      if (SENSITIVITY_RANK[rule.level] <= rank && ruleMatches(rule, plain)) add({ category: rule.category, rule: rule.id, where: seg.where, reason: describe(rule, seg.where) });
    }
    if (seg.hidden !== null && rank >= SENSITIVITY_RANK.high && hasWords(plain, HIDDEN_PROSE_MIN_WORDS)) {
      add({ category: 'prompt_injection', rule: 'hidden_prose', where: seg.where, reason: `hidden text in the HTML (${seg.hidden}) that a model would read and a person would not` });
    }
  }
  return hits;
}
