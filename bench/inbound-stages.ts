/**
 * Where the time of one inbound message goes, stage by stage, measured by calling the same
 * functions the pipeline calls (relay/src/inbound/pipeline.ts, api/src/inbound/service.ts) one
 * message at a time, with nothing else running. It answers "how much CPU (or commit wait) does each
 * stage cost per message"; the concurrent run answers "how many per second".
 */
import { createHash } from 'node:crypto';
import { createSenderVerifier, parseMessage, sanitize, type Recipient, type Resolver } from '@e2a/relay';
import { signMessage, type DkimKey } from '@e2a/relay/testing';
import { pino } from 'pino';
import { SecretBox } from '../api/src/crypto/secret-box.js';
import type { Gateway } from '../api/src/gateway.js';
import { protectionGates } from '../api/src/protection/gate.js';
import { bounceDetector } from '../api/src/outbound/bounces.js';
import { InboundService } from '../api/src/inbound/service.js';
import { systemClock } from '../api/src/clock.js';
import { buildSizedMessage, type Envelope } from './bench-messages.js';

export interface StageTimes {
  samples: number;
  /** Mean milliseconds per message for each stage. */
  meanMs: Record<'sha256' | 'verify' | 'sanitize' | 'parse' | 'seal' | 'store', number>;
}

export async function measureStages(opts: {
  gateway: Gateway;
  resolver: Resolver;
  recipient: Recipient;
  envelope: Envelope;
  key: DkimKey;
  sizeBytes: number;
  samples: number;
  runId: string;
}): Promise<StageTimes> {
  const verifier = createSenderVerifier({ resolver: opts.resolver, authservId: 'mx.agents.bench', logger: pino({ level: 'silent' }) });
  const box = new SecretBox(opts.gateway.secrets.encryptionKey);
  // Bench agents have default (open) protection, so nothing is ever held here.
  const holds = { hold: () => Promise.reject(new Error('the inbound bench never holds mail')) };
  const postmaster = { forward: () => Promise.reject(new Error('the inbound bench never mails postmaster')) };
  const sink = new InboundService({ db: opts.gateway.database.db, box, clock: systemClock, gates: protectionGates, contacts: { isContact: async () => false }, holds, bounces: bounceDetector, postmaster, lists: { outcome: () => Promise.reject(new Error('the inbound bench never mails a list')) } });
  const totals = { sha256: 0, verify: 0, sanitize: 0, parse: 0, seal: 0, store: 0 };
  const ctx = { ip: '127.0.0.1', helo: 'load.sender.example', mailFrom: opts.envelope.from };
  for (let i = 0; i < opts.samples; i++) {
    const original = await signMessage(buildSizedMessage(2_000_000 + i, `${opts.runId}-stages`, opts.envelope, opts.sizeBytes), opts.key);
    let t = performance.now();
    const lap = (stage: keyof typeof totals): void => {
      const now = performance.now();
      totals[stage] += now - t;
      t = now;
    };
    const contentHash = createHash('sha256').update(original).digest('hex');
    lap('sha256');
    const { authentication, authResultsHeader } = await verifier.verify(original, ctx);
    lap('verify');
    const raw = sanitize(original, { authservId: 'mx.agents.bench', prepend: [authResultsHeader] });
    lap('sanitize');
    const parsed = await parseMessage(raw);
    lap('parse');
    // accept() seals again inside; this lap isolates the AES-GCM cost of the same three values.
    box.seal(raw);
    if (parsed.text !== null) box.seal(parsed.text);
    if (parsed.html !== null) box.seal(parsed.html);
    lap('seal');
    await sink.accept({
      raw,
      contentHash,
      messageId: parsed.messageId,
      envelope: { mailFrom: opts.envelope.from, recipients: [opts.recipient], remoteAddress: '127.0.0.1', helo: ctx.helo },
      authentication,
      parsed,
      receivedAt: new Date(),
    });
    lap('store');
  }
  const meanMs = Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / opts.samples])) as StageTimes['meanMs'];
  // The store lap includes a second seal (inside accept); report the SQL part on its own.
  meanMs.store = Math.max(0, meanMs.store - meanMs.seal);
  return { samples: opts.samples, meanMs };
}
