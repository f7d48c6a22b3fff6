/**
 * How long a gateway takes to answer while it works on something else: one loop polls GET /readyz,
 * another sends NOOP on its own SMTP connection, each back to back, and the worst round trip of
 * each is kept per window. A stalled event loop shows as one long round trip. Used by the
 * pathological-corpus test and bench (the bound: neither waits more than 250 ms).
 *
 * The gateway runs in this process, so each round trip is also measured in this thread's CPU time:
 * on a machine other work keeps busy, a round trip can take long in wall time while the thread
 * waits for a core, which says nothing about the gateway; the thread's own time during it is what
 * the gateway held the loop for. On a quiet machine the two agree (the bench reports both).
 */
import { SmtpTestClient, type Reply } from '@e2a/relay/testing';

export interface Worst {
  readyzMs: number;
  noopMs: number;
  /** This thread's CPU time during the round trip that took it longest, per loop. */
  readyzCpuMs: number;
  noopCpuMs: number;
  /** Round trips measured in the window, both loops. */
  samples: number;
}

export interface ResponsivenessProbe {
  /** Waits for both loops' round trips in flight (so a stall under way is counted), then returns the window's worst and starts a new one. */
  window(): Promise<Worst>;
  stop(): Promise<void>;
}

export async function startResponsivenessProbe(httpUrl: string, smtpPort: number): Promise<ResponsivenessProbe> {
  const smtp = await SmtpTestClient.connect(smtpPort);
  await smtp.ehlo('probe.example.com');
  let stopped = false;
  const fresh = (): Worst => ({ readyzMs: 0, noopMs: 0, readyzCpuMs: 0, noopCpuMs: 0, samples: 0 });
  let worst: Worst = fresh();
  /** Per loop, callbacks waiting for a round trip that started at or after a time. */
  const waiters: Record<'readyzMs' | 'noopMs', Array<{ after: number; done: () => void }>> = { readyzMs: [], noopMs: [] };
  const ended = { readyzMs: false, noopMs: false };
  const loop = async (key: 'readyzMs' | 'noopMs', roundTrip: () => Promise<void>): Promise<void> => {
    const cpuKey = key === 'readyzMs' ? 'readyzCpuMs' : 'noopCpuMs';
    while (!stopped) {
      const start = performance.now();
      const cpuStart = threadCpuMs();
      // A round trip that fails (a connection the stalled server dropped) counts as long as it took,
      // and one that can never succeed again (the SMTP session closed) as forever.
      const lasted = await roundTrip().then(
        () => performance.now() - start,
        (err: unknown) => ((err as Error).message === 'connection closed by server' ? Infinity : performance.now() - start),
      );
      worst[key] = Math.max(worst[key], lasted);
      worst[cpuKey] = Math.max(worst[cpuKey], threadCpuMs() - cpuStart);
      if (lasted === Infinity) {
        ended[key] = true;
        for (const w of waiters[key].splice(0)) w.done();
        return;
      }
      worst.samples++;
      waiters[key] = waiters[key].filter((w) => (w.after <= start ? (w.done(), false) : true));
    }
  };
  const readyz = loop('readyzMs', async () => {
    const res = await fetch(`${httpUrl}/readyz`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`/readyz answered ${res.status}`);
  });
  const noop = loop('noopMs', async () => {
    const reply = await smtp.command('NOOP');
    if (reply.code !== 250) throw new Error(`NOOP answered ${reply.code} ${reply.text}`);
  });
  const running = Promise.all([readyz, noop]);
  const roundTripFrom = (key: 'readyzMs' | 'noopMs', after: number) =>
    new Promise<void>((done) => (ended[key] ? done() : waiters[key].push({ after, done })));
  return {
    async window() {
      // A round trip of each loop that started from now on: whatever was in flight has been counted.
      const now = performance.now();
      await Promise.race([Promise.all([roundTripFrom('readyzMs', now), roundTripFrom('noopMs', now)]), running]);
      const result = worst;
      worst = fresh();
      return result;
    },
    async stop() {
      stopped = true;
      await running;
      await smtp.quit();
    },
  };
}

export interface MeasuredSend {
  /** The answer to the message data (or to MAIL, RCPT or DATA, if one of those was refused). */
  reply: Reply;
  /** End of the data written → the reply. */
  latencyMs: number;
  worst: Worst;
}

/**
 * One message over its own SMTP connection, with the probe's window around the data and the
 * reply. The bytes are dot-stuffed (RFC 5321 §4.5.2) before the window opens, so the sender's own
 * work on a large message is not counted against the gateway (they share an event loop).
 */
export async function sendMeasured(port: number, from: string, to: string, raw: Buffer, probe: ResponsivenessProbe): Promise<MeasuredSend> {
  const text = raw.toString('latin1').replace(/(^|\n)\./g, '$1..');
  const bytes = Buffer.from(`${text.endsWith('\r\n') ? text : `${text}\r\n`}.\r\n`, 'latin1');
  const client = await SmtpTestClient.connect(port);
  try {
    await client.ehlo('sender.example.com');
    for (const command of [`MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'DATA']) {
      const reply = await client.command(command);
      if (reply.code >= 400) return { reply, latencyMs: 0, worst: await probe.window() };
    }
    await probe.window();
    const start = performance.now();
    client.write(bytes);
    const reply = await client.nextReply();
    const latencyMs = performance.now() - start;
    return { reply, latencyMs, worst: await probe.window() };
  } finally {
    await client.quit();
  }
}

/** CPU milliseconds of this thread alone (not the worker threads'), user and system. */
function threadCpuMs(): number {
  const used = (process as unknown as { threadCpuUsage(): NodeJS.CpuUsage }).threadCpuUsage();
  return (used.user + used.system) / 1000;
}
