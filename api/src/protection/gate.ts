/**
 * The protection gates (decision.ts): from an agent's Protection and one message to a verdict. No
 * I/O; the one wait is the content scan, which runs in a worker thread for a large message
 * (content-scanner.ts), so the services call the gates before their transactions.
 *
 * The policy and the content scan are judged separately and the stricter outcome wins
 * (block > review > flag > pass); every reason from either is kept for the reviewer.
 */
import type { Protection } from '@e2a/sdk/wire';
import { inThreadScanner, type ContentScanner } from './content-scanner.js';
import type { GateAction, GateDecision, InboundGateInput, OutboundGateInput, ProtectionGates } from './decision.js';

const RANK: Record<GateAction, number> = { pass: 0, flag: 1, review: 2, block: 3 };

function stricter(a: GateAction, b: GateAction): GateAction {
  return RANK[b] > RANK[a] ? b : a;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** `a@x.com` matches itself; `@x.com` (or `x.com`) matches every address at exactly x.com. */
export function onAllowlist(address: string, allowlist: readonly string[]): boolean {
  const addr = address.trim().toLowerCase();
  const domain = domainOf(addr);
  return allowlist.some((entry) => {
    const e = entry.trim().toLowerCase();
    if (e.startsWith('@')) return e.slice(1) === domain;
    return e.includes('@') ? e === addr : e === domain;
  });
}

/** Domain entries only: `@x.com` or `x.com`; whole addresses name a domain too (their own). */
function inDomains(address: string, own: string, allowlist: readonly string[]): boolean {
  const domain = domainOf(address);
  return domain === own.toLowerCase() || allowlist.some((e) => domainOf(e.trim()) === domain);
}

/**
 * The sender a policy may count: the agent that sent local mail, else the DMARC-authenticated
 * identity. A From header is trivially forged, so mail from outside counts only when DMARC
 * authenticated it (authentication.verified), and then as the authenticated identity. Null: nobody.
 */
export function countedSender(input: Pick<InboundGateInput, 'authentication' | 'from' | 'localSender'>): string | null {
  if (input.localSender) return input.localSender.toLowerCase();
  return input.authentication.verified ? (input.authentication.sender ?? input.from) : null;
}

function combine(parts: Array<{ action: GateAction; reasons: string[] }>): GateDecision {
  let action: GateAction = 'pass';
  const reasons: string[] = [];
  for (const p of parts) {
    if (p.action === 'pass') continue;
    action = stricter(action, p.action);
    reasons.push(...p.reasons);
  }
  return { action, reasons };
}

async function scanPart(scanner: ContentScanner, protection: Protection, input: { subject: string | null; text: string | null; html: string | null }) {
  const hits = await scanner.scan({ subject: input.subject, text: input.text, html: input.html }, protection.content_scan.sensitivity);
  return { action: hits.length > 0 ? protection.content_scan.action : ('pass' as const), reasons: hits.map((h) => h.reason) };
}

export function createProtectionGates(scanner: ContentScanner): ProtectionGates {
  return {
    async outbound(protection: Protection, input: OutboundGateInput): Promise<GateDecision> {
      const gate = protection.outbound;
      const own = domainOf(input.agentAddress);
      const misses =
        gate.policy === 'allowlist'
          ? input.recipients.filter((r) => !onAllowlist(r, gate.allowlist)).map((r) => `recipient ${r} is not on the outbound allowlist`)
          : gate.policy === 'domain'
            ? input.recipients.filter((r) => !inDomains(r, own, gate.allowlist)).map((r) => `recipient ${r} is outside ${[own, ...gate.allowlist.map((e) => e.replace(/^.*@/, ''))].join(', ')}`)
            : [];
      return combine([{ action: misses.length > 0 ? gate.action : 'pass', reasons: misses }, await scanPart(scanner, protection, input)]);
    },

    async inbound(protection: Protection, input: InboundGateInput): Promise<GateDecision> {
      const gate = protection.inbound;
      const sender = countedSender(input);
      const shown = input.authentication.sender ?? input.from ?? '(no sender)';
      let miss: string | null = null;
      if (gate.policy !== 'open') {
        if (!sender) miss = `sender ${shown} is not DMARC-authenticated, so the ${gate.policy} policy cannot count it`;
        else if (gate.policy === 'allowlist' && !onAllowlist(sender, gate.allowlist)) miss = `sender ${sender} is not on the inbound allowlist`;
        else if (gate.policy === 'domain' && !inDomains(sender, domainOf(input.agentAddress), gate.allowlist)) miss = `sender ${sender} is outside the allowed domains`;
        else if (gate.policy === 'contacts' && !input.contact) miss = `sender ${sender} is not a contact of ${input.agentAddress}`;
      }
      return combine([{ action: miss ? gate.action : 'pass', reasons: miss ? [miss] : [] }, await scanPart(scanner, protection, input)]);
    },
  };
}

/** The gates with the scan on the event loop: tests, and benches of the in-thread path. */
export const protectionGates: ProtectionGates = createProtectionGates(inThreadScanner);
