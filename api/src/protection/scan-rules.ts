/**
 * The content-scan rule tables. Each rule has the lowest sensitivity at which it fires: `low` rules
 * are near-certain (a private key block, "ignore previous instructions"), `medium` rules are likely
 * (JWTs, "system prompt", a card number that passes Luhn), `high` rules are merely suspicious and
 * will produce false positives on ordinary mail. Text is normalised before matching (NFKC, zero-width
 * characters removed, whitespace collapsed, lower-cased for injection rules) so homoglyph-free
 * spacing tricks do not slip past.
 */
import type { SCAN_SENSITIVITIES } from '@e2a/sdk/wire';

export type Sensitivity = Exclude<(typeof SCAN_SENSITIVITIES)[number], 'off'>;
export type ScanCategory = 'prompt_injection' | 'exfiltration';

export interface ScanRule {
  id: string;
  category: ScanCategory;
  /** Lowest sensitivity at which the rule fires. */
  level: Sensitivity;
  /** Shown to reviewers; never includes the matched text for secrets. */
  label: string;
  pattern: RegExp;
  /** Extra check on each match (Luhn for card numbers); the pattern must then carry the `g` flag. */
  accept?: (match: string) => boolean;
}

/** Luhn checksum (ISO/IEC 7812-1): filters random digit runs out of the card-number rule. */
export function luhn(digits: string): boolean {
  const d = digits.replace(/\D/g, '');
  if (d.length < 13 || d.length > 19 || /^(\d)\1+$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

const PREVIOUS = '(?:all |any |the |your |of )*(?:previous|prior|above|earlier|preceding|foregoing|existing|original)';
const INSTRUCTIONS = '(?:instructions?|prompts?|rules|directions|guidelines|directives|context)';

/** Matched against lower-cased, normalised text. */
export const INJECTION_RULES: ScanRule[] = [
  { id: 'ignore_previous', category: 'prompt_injection', level: 'low', label: '"ignore previous instructions"', pattern: new RegExp(`\\b(?:ignore|disregard|forget|override|bypass|skip)\\s+${PREVIOUS}\\s+${INSTRUCTIONS}`) },
  { id: 'disregard_rules', category: 'prompt_injection', level: 'low', label: 'instruction to disregard the agent\'s rules', pattern: new RegExp(`\\b(?:ignore|disregard|forget)\\s+(?:all\\s+|any\\s+)?(?:your|the)\\s+(?:system\\s+prompt|${INSTRUCTIONS}|programming|training)`) },
  { id: 'chat_template', category: 'prompt_injection', level: 'low', label: 'chat-template control tokens', pattern: /<\|im_start\|>|<\|im_end\|>|<\|system\|>|<\|assistant\|>|\[inst\]|<<sys>>|<\|begin_of_text\|>|<\/?system>/ },
  { id: 'jailbreak_mode', category: 'prompt_injection', level: 'low', label: 'jailbreak ("developer mode", "DAN")', pattern: /\b(?:you are|you're|act|enter|enable)\s+(?:now\s+)?(?:in\s+)?(?:developer|god|dan|jailbreak|unrestricted)\s+mode\b|\bdo anything now\b/ },
  { id: 'new_instructions', category: 'prompt_injection', level: 'low', label: '"new instructions" addressed to the model', pattern: /\b(?:new|updated|real|actual|revised)\s+(?:system\s+)?instructions?\s*(?::|follow|for the (?:ai|assistant|agent|model))/ },
  { id: 'system_prompt', category: 'prompt_injection', level: 'medium', label: 'reference to the system prompt', pattern: /\b(?:system prompt|system message|your (?:initial|hidden|secret) (?:prompt|instructions))\b/ },
  // `\s*(?:(?:message|prompt)\s*)?:` rather than `\s*(?:message|prompt)?\s*:`: two blank runs around an
  // optional word split a run of newlines every way there is, O(n²) per "system".
  { id: 'role_marker', category: 'prompt_injection', level: 'medium', label: 'role marker (system:/assistant:) taking over the conversation', pattern: /(?:^|\n|\s{2})(?:#+\s*)?(?:system|assistant|developer)\s*(?:(?:message|prompt)\s*)?:\s*\S/ },
  { id: 'role_takeover', category: 'prompt_injection', level: 'medium', label: 'role takeover ("you are now …")', pattern: /\byou are (?:now|no longer)\s+(?:a|an|the|my|acting)\b|\bfrom now on,? you (?:are|will|must)\b|\bpretend (?:to be|you are)\b/ },
  { id: 'tool_coercion', category: 'prompt_injection', level: 'medium', label: 'tool-call coercion', pattern: /\b(?:call|invoke|use|execute|run|trigger)\s+(?:the\s+)?(?:[\w.-]+\s+)?(?:tool|function|plugin|command|api)\b.{0,60}\b(?:with|to|and)\b|\b(?:function_call|tool_calls?|tool_use)\b/ },
  { id: 'exfil_request', category: 'prompt_injection', level: 'medium', label: 'instruction to send data elsewhere', pattern: /\b(?:send|forward|email|upload|post|leak|share)\s+(?:me\s+)?(?:all|every|the|your|any)\s+.{0,40}\b(?:emails?|messages|inbox|files|credentials|passwords?|contacts|api keys?|tokens?|secrets?|conversation history)\b.{0,40}\bto\b/ },
  { id: 'conceal', category: 'prompt_injection', level: 'medium', label: 'instruction to hide actions from the user', pattern: /\b(?:do not|don't|never)\s+(?:tell|inform|mention|notify|alert|show)\s+(?:this to\s+)?(?:the\s+)?(?:user|human|owner|operator|recipient)\b/ },
  { id: 'reveal', category: 'prompt_injection', level: 'medium', label: 'request to reveal instructions or secrets', pattern: /\b(?:reveal|print|repeat|output|show|leak)\s+(?:me\s+)?(?:your|the)\s+(?:system prompt|instructions|initial prompt|secrets?|api keys?|credentials|hidden prompt)/ },
  { id: 'addressing_ai', category: 'prompt_injection', level: 'high', label: 'text addressed to an AI model', pattern: /\b(?:dear|attention|note to|hey|hi)\s+(?:ai|assistant|agent|llm|language model|chatgpt|claude|gpt)\b|\bif you are an? (?:ai|llm|language model|assistant|agent)\b|\bas an ai\b/ },
  { id: 'imperative_override', category: 'prompt_injection', level: 'high', label: 'urgent override wording', pattern: /\b(?:important|urgent|critical|mandatory)\s*[:!-]\s*(?:you must|the (?:ai|assistant|agent) must|ignore|do not)\b/ },
  // At most 20 options before the URL: unbounded, every "curl" of "curl -curl -curl …" rescanned the rest.
  { id: 'command_exec', category: 'prompt_injection', level: 'high', label: 'shell command to execute', pattern: /\b(?:curl|wget)\s+(?:-\S+\s+){0,20}https?:\/\/|\brm\s+-rf\b|\|\s*(?:sh|bash)\b|\bpowershell\s+-/ },
];

/**
 * A JWT is three base64url segments, the first two starting `eyJ`. Written plainly
 * (`\beyJ[…]{8,}\.eyJ…`) every `eyJ` after a `-` inside one long run starts a scan of the rest of that
 * run: O(n²) on "eyJ-eyJ-eyJ-…". The earliest start in a run is the only one worth trying (the
 * first segment ends at the run's end whatever its start, and a longer one only helps), so the
 * pattern starts at run starts only (the lookbehind) and lets a lookahead, which JavaScript never
 * backtracks into, find that earliest `eyJ`.
 */
const JWT = /(?<![A-Za-z0-9_-])(?=([A-Za-z0-9_-]*?\beyJ))\1[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;

/** Whole runs of token characters (base64, base64url), found once each: linear. */
const TOKEN_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}/g;

/**
 * A run of token characters that is a long random-looking token: from its first to its last word
 * character (where `\b` sits in such a run) at least 40 long, with a digit, a lower- and an
 * upper-case letter. The same as `\b(?=…\d)(?=…[a-z])(?=…[A-Z])[A-Za-z0-9+/_-]{40,}\b`, whose
 * lookaheads rescanned the rest of the run from every `\b` in it: O(n²) on "a-a-a-…".
 */
export function randomLooking(run: string): boolean {
  const word = /[A-Za-z0-9_]/;
  let start = 0;
  while (start < run.length && !word.test(run[start]!)) start++;
  let end = run.length;
  while (end > start && !word.test(run[end - 1]!)) end--;
  if (end - start < 40) return false;
  const token = run.slice(start, end);
  return /\d/.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token);
}

/** Matched case-sensitively against normalised (not lower-cased) text: key formats are case-exact. */
export const SECRET_RULES: ScanRule[] = [
  { id: 'private_key', category: 'exfiltration', level: 'low', label: 'private key block', pattern: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { id: 'aws_key', category: 'exfiltration', level: 'low', label: 'AWS access key id (AKIA…)', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/ },
  { id: 'github_token', category: 'exfiltration', level: 'low', label: 'GitHub token (ghp_…)', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b/ },
  { id: 'slack_token', category: 'exfiltration', level: 'low', label: 'Slack token (xox…)', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b|https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/ },
  { id: 'e2a_key', category: 'exfiltration', level: 'low', label: 'e2a API key (e2a_…)', pattern: /\be2a_[A-Za-z0-9_-]{20,}/ },
  { id: 'webhook_secret', category: 'exfiltration', level: 'low', label: 'webhook signing secret (whsec_…)', pattern: /\bwhsec_[A-Za-z0-9+/=]{20,}/ },
  { id: 'stripe_key', category: 'exfiltration', level: 'low', label: 'Stripe secret key', pattern: /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b/ },
  { id: 'openai_key', category: 'exfiltration', level: 'low', label: 'OpenAI/Anthropic API key', pattern: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}\b/ },
  { id: 'google_key', category: 'exfiltration', level: 'low', label: 'Google API key (AIza…)', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { id: 'jwt', category: 'exfiltration', level: 'medium', label: 'JSON Web Token', pattern: JWT },
  { id: 'password_assignment', category: 'exfiltration', level: 'medium', label: 'password or secret assignment (password=…)', pattern: /\b(?:password|passwd|pwd|passphrase|secret|api[_-]?key|access[_-]?token|client[_-]?secret)\s*[=:]\s*["']?[^\s"']{6,}/i },
  { id: 'connection_string', category: 'exfiltration', level: 'medium', label: 'credentials in a connection string', pattern: /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s:/@]+:[^\s@/]{3,}@[\w.-]+/i },
  { id: 'card_number', category: 'exfiltration', level: 'medium', label: 'payment card number (passes Luhn)', pattern: /\b(?:\d[ -]?){12,18}\d\b/g, accept: luhn },
  { id: 'aws_secret', category: 'exfiltration', level: 'medium', label: 'AWS secret access key', pattern: /aws_secret_access_key\s*[=:]\s*\S{20,}/i },
  { id: 'ssn', category: 'exfiltration', level: 'high', label: 'US social security number', pattern: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/ },
  { id: 'iban', category: 'exfiltration', level: 'high', label: 'IBAN', pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b/ },
  { id: 'bearer', category: 'exfiltration', level: 'high', label: 'bearer token', pattern: /\bBearer\s+[A-Za-z0-9._~+/-]{20,}=*/ },
  { id: 'high_entropy', category: 'exfiltration', level: 'high', label: 'long random-looking token', pattern: TOKEN_RUN, accept: randomLooking },
];

/** Whether a rule matches normalised text (lower-cased for injection rules). Linear in `text` for every rule. */
export function ruleMatches(rule: ScanRule, text: string): boolean {
  if (!rule.accept) return rule.pattern.test(text);
  // matchAll iterates a copy of the (global) pattern, so the shared rule keeps no lastIndex.
  for (const m of text.matchAll(rule.pattern)) if (rule.accept(m[0])) return true;
  return false;
}

export const SENSITIVITY_RANK: Record<Sensitivity, number> = { low: 1, medium: 2, high: 3 };
