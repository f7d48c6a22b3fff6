/**
 * Every content-scan rule runs in time linear in its input. A rule that backtracks on a crafted
 * input froze the gateway (100 KB of "a-a-a-…" took 34 s in `high_entropy`), so each rule is run on
 * worst-case strings of 1 KB, 10 KB, 100 KB and 1 MB: ten times the input may take at most 30
 * times as long (linear: ~10; quadratic: 100 and more, measured 120–150 on the rules this replaced).
 * The smaller steps come first so a quadratic rule fails in milliseconds instead of running for
 * hours on 1 MB. The last step leaves the CPU caches (a 1 MB string, and a backtracking stack of
 * several MB for a greedy run): there linear rules measured up to 43×, so it may take 75×. Best of
 * three runs per size, and a floor under the smaller time, so a busy machine's noise cannot fail a
 * linear rule; CPU time, not wall time, for the same reason.
 */
import { describe, expect, it } from 'vitest';
import { scanContent } from './content-scan.js';
import { INJECTION_RULES, SECRET_RULES, randomLooking, ruleMatches, type ScanRule } from './scan-rules.js';
import { cpuMsBestOf3 } from '@e2a/relay/testing';

/** Allowed growth for each tenfold step of SIZES. */
const RATIOS = [30, 30, 75];
/** Times under this (ms) are compared as this: timer and JIT noise, not the rule. */
const FLOOR_MS = 0.25;
const SIZES = [1_000, 10_000, 100_000, 1_000_000];

/** [prefix, unit repeated to the size, suffix]. */
type Adversary = [string, string, string];

/** Inputs that hit the usual backtracking traps: long runs of one class, separators every other character. */
const GENERIC: Adversary[] = [
  ['', 'a-', ''],
  ['', '\n', 'x'],
  ['', 'a', '!'],
  ['', '1-', ''],
];

/** Per rule, the input that makes its own pattern work hardest: keywords followed by what almost matches. */
const ADVERSARIAL: Record<string, Adversary[]> = {
  ignore_previous: [['ignore ', 'all ', 'x'], ['', 'ignore\n', '']],
  disregard_rules: [['disregard ', '\n', 'x'], ['', 'forget all the ', '']],
  chat_template: [['', '<|im_', ''], ['', '<<sys', '']],
  jailbreak_mode: [['enable ', '\n', 'x'], ['', 'you are now in ', '']],
  new_instructions: [['new ', '\n', 'x'], ['', 'new system instructions ', '']],
  system_prompt: [['', 'your secret ', ''], ['', 'system ', '']],
  role_marker: [['\nsystem', '\n', 'x'], ['\n', '#', 'x'], ['', '\n\nassistant ', '']],
  role_takeover: [['', 'you are now ', ''], ['', 'from now on you ', '']],
  tool_coercion: [['call ', '\n', 'x'], ['call ', 'a', ''], ['', 'call the tool ', '']],
  exfil_request: [['', 'send all emails ', ''], ['send all ', '\n', 'x']],
  conceal: [['do not ', '\n', 'x'], ['', 'never tell the ', '']],
  reveal: [['reveal ', '\n', 'x'], ['', 'show me your ', '']],
  addressing_ai: [['', 'dear ', ''], ['', 'if you are an ', '']],
  imperative_override: [['important', '\n', 'x'], ['', 'urgent: ', '']],
  command_exec: [['', 'curl -', ''], ['curl ', '-a ', ''], ['', '|\n', 'x']],
  private_key: [['-----BEGIN ', 'A ', ''], ['', '-----BEGIN A', '']],
  aws_key: [['', 'AKIA', ''], ['', '-AKIAAAAAAAAAAAAAAAA', '']],
  github_token: [['ghp_', 'a', '_'], ['', '-ghp_', '']],
  slack_token: [['', 'xoxb-', ''], ['xoxb-', '-', '']],
  e2a_key: [['', 'e2a_', ''], ['', '-e2a_a', '']],
  webhook_secret: [['', 'whsec_', ''], ['', '-whsec_a', '']],
  stripe_key: [['sk_live_', 'a', '_'], ['', '-sk_live_', '']],
  openai_key: [['', 'sk-', ''], ['sk-', '-', '']],
  google_key: [['', 'AIza', ''], ['', '-AIza-', '']],
  jwt: [['', 'eyJ-', ''], ['', '-eyJ', ''], ['', 'eyJaaaaaaaaa.eyJ', '']],
  password_assignment: [['', 'password=', ''], ['password', ' ', 'x']],
  connection_string: [['', 'a://x:', ''], ['a://', 'x:', ''], ['', 'a.', '']],
  card_number: [['', '1 ', 'x'], ['', '1-', '']],
  aws_secret: [['aws_secret_access_key=', '\n', ''], ['', 'aws_secret_access_key ', '']],
  ssn: [['', '123-45-', ''], ['', '1-', '']],
  iban: [['', 'AB12 ', ''], ['', 'AB12', '']],
  bearer: [['', 'Bearer ', ''], ['Bearer ', '-', '']],
  high_entropy: [['', 'a-', ''], ['', 'aA1-', ''], ['', '-', ''], ['', 'xoxb-', '']],
};

const RULES: ScanRule[] = [...INJECTION_RULES, ...SECRET_RULES];

function input([prefix, unit, suffix]: Adversary, size: number): string {
  return prefix + unit.repeat(Math.max(1, Math.ceil((size - prefix.length - suffix.length) / unit.length))) + suffix;
}


/** Fails with the sizes and times when one step grows faster than linear. */
function expectLinear(label: string, run: (text: string) => void, adversary: Adversary, prepare: (text: string) => string = (t) => t): void {
  let previous: number | null = null;
  for (const size of SIZES) {
    // Built, lower-cased where the rule expects it and flattened before the clock starts.
    const text = prepare(input(adversary, size));
    text.charCodeAt(text.length >> 1);
    const ms = cpuMsBestOf3(() => run(text));
    if (previous !== null) {
      const allowed = RATIOS[SIZES.indexOf(size) - 1]!;
      expect(ms / Math.max(previous, FLOOR_MS), `${label} on ${JSON.stringify(adversary)}: ${size / 10} → ${size} chars took ${previous.toFixed(2)} → ${ms.toFixed(2)} ms`).toBeLessThan(allowed);
    }
    previous = ms;
  }
}

describe('content-scan rules are linear in their input', () => {
  it('every rule has its own worst-case inputs', () => {
    expect(RULES.map((r) => r.id).filter((id) => !ADVERSARIAL[id])).toEqual([]);
  });

  it.each(RULES.map((rule) => [rule.id, rule] as const))('%s on 1 MB adversarial strings', (_id, rule) => {
    const prepare = (text: string) => (rule.category === 'prompt_injection' ? text.toLowerCase() : text);
    for (const adversary of [...ADVERSARIAL[rule.id]!, ...GENERIC]) expectLinear(rule.id, (text) => ruleMatches(rule, text), adversary, prepare);
  });

  it('the whole scan at high, HTML included, on 1 MB adversarial strings', () => {
    for (const adversary of [...GENERIC, ['', '<div>', ''] as Adversary, ['', '<p style="width:1', ''] as Adversary]) {
      expectLinear('scanContent', (text) => scanContent({ subject: null, text, html: `<p>${text}</p>` }, 'high'), adversary);
    }
  });
});

describe('high_entropy', () => {
  it.each([
    ['a 40-character token with digits and both cases', `x ${'aB3'.repeat(14)} y`, true],
    ['39 characters', `x ${'aB3'.repeat(13)} y`, false],
    ['no digit', `x ${'aBc'.repeat(14)} y`, false],
    ['separators at the ends do not count towards the 40', `x --${'aB3'.repeat(13)}-- y`, false],
    ['separators inside do', `x ${'aB3-'.repeat(10)}a y`, true],
  ])('%s', (_name, text, fires) => {
    expect(ruleMatches(SECRET_RULES.find((r) => r.id === 'high_entropy')!, text)).toBe(fires);
  });

  it('randomLooking trims to the word characters', () => {
    expect(randomLooking(`+/${'aB3'.repeat(14)}-`)).toBe(true);
  });
});

describe('jwt', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  it.each([
    ['alone', jwt, true],
    ['after a hyphen inside a run', `token-${jwt}`, true],
    ['after several', `a-eyJ-b-${jwt}`, true],
    ['without its signature', jwt.slice(0, jwt.lastIndexOf('.') + 5), false],
  ])('%s', (_name, text, fires) => {
    expect(ruleMatches(SECRET_RULES.find((r) => r.id === 'jwt')!, text)).toBe(fires);
  });
});
