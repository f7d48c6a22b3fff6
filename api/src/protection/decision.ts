/**
 * What a protection gate decides, as data (STYLE §8: verdicts, not exceptions). `pass` sends or
 * delivers; `flag` does too, with an email.flagged event; `review` holds for a human; `block` refuses.
 */
import type { Authentication, Protection } from '@e2a/sdk/wire';

export type GateAction = 'pass' | 'flag' | 'review' | 'block';

export interface GateDecision {
  action: GateAction;
  /** Human-readable, shown to reviewers and in events: "bob@x.com is not on the allowlist". */
  reasons: string[];
}

export interface OutboundGateInput {
  agentAddress: string;
  recipients: string[];
  subject: string | null;
  text: string | null;
  html: string | null;
}

export interface InboundGateInput {
  agentAddress: string;
  authentication: Authentication;
  from: string | null;
  /**
   * Local delivery only: the sending agent, which the gateway authenticated by its API key, so it
   * counts without DMARC (outbound/local-delivery.ts). Null for mail from outside.
   */
  localSender: string | null;
  /** Under the `contacts` policy: the counted sender (countedSender) holds a live grant with the agent. */
  contact: boolean;
  subject: string | null;
  text: string | null;
  html: string | null;
}

/** Asynchronous because the content scan of a large message runs in a worker thread (content-scanner.ts). */
export interface ProtectionGates {
  outbound(protection: Protection, input: OutboundGateInput): Promise<GateDecision>;
  inbound(protection: Protection, input: InboundGateInput): Promise<GateDecision>;
}
