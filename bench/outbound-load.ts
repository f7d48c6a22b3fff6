/**
 * The outbound bench's outside world, run as a child process (child_process.fork) so that its CPU
 * and memory are not the gateway's: the SMTP sink standing in for the upstream relay, and the API
 * client that POSTs the sends. ONE clock (this process's performance.now()) stamps the request, the
 * 202 and the sink's receipt of the message, so a latency is never the difference of two clocks.
 *
 * Two ways to send:
 *   closed  `concurrency` callers, each sending its next message when the previous one got its 202
 *           (the saturated throughput: the API accepts as fast as it can answer);
 *   open    message i is sent at t0 + i / rate whatever the gateway is doing (a fixed offered load;
 *           latency counts from the scheduled time, so a gateway that falls behind cannot hide it).
 */
import { Agent, request } from 'node:http';
import { startSmtpSink, type SmtpSink } from '../api/src/testing/smtp-sink.js';
import { onParentCommand } from './load-child.js';

export type OutboundLoadCommand =
  | { type: 'init' }
  | { type: 'configure'; url: string; apiKey: string }
  | {
      type: 'run';
      phase: string;
      mode: 'closed' | 'open';
      messages: number;
      /** closed: callers in parallel. */
      concurrency: number;
      /** open: sends per second. */
      rate: number;
      /** Message numbers start here (unique across phases). */
      offset: number;
      /** How long after the last 202 to wait for the sink before calling the rest missing. */
      drainMs: number;
    }
  | { type: 'exit' };

export interface OutboundPhaseReport {
  type: 'phase-done';
  phase: string;
  sent: number;
  accepted: number;
  failures: string[];
  /** Per accepted send: request (open loop: its scheduled time) → 202, ms. */
  apiMs: number[];
  /** Per accepted send: request (open loop: scheduled) → the sink has the message; NaN if missing. */
  endToEndMs: number[];
  /** Per accepted send: 202 → the sink has the message; NaN if missing. */
  afterAcceptMs: number[];
  /** Open loop: how late each request left against its schedule (should stay ~0). */
  sendLagMs: number[];
  missing: number;
  /** First request → last 202, ms. */
  acceptSpanMs: number;
  /** First request → last message at the sink, ms. */
  deliverSpanMs: number;
  childCpuMs: number;
  /** Per accepted send: when its request started (open loop: scheduled), ms after the phase began. */
  startMs: number[];
}

export type OutboundLoadEvent = { type: 'ready'; sinkHost: string; sinkPort: number } | { type: 'configured' } | OutboundPhaseReport;

let sink: SmtpSink | null = null;
let api: { url: URL; apiKey: string } | null = null;
/** Message-ID (no brackets) → when the sink had the whole message. */
const arrived = new Map<string, number>();
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function emit(event: OutboundLoadEvent): void {
  process.send!(event);
}

const MESSAGE_ID = /^Message-ID:[ \t]*<([^>]+)>/im;

async function init(): Promise<void> {
  sink = await startSmtpSink((_n, m) => {
    const end = m.raw.indexOf('\r\n\r\n');
    const head = m.raw.subarray(0, end < 0 ? m.raw.length : end).toString('latin1');
    const id = MESSAGE_ID.exec(head)?.[1];
    if (id) arrived.set(id, performance.now());
    return null;
  });
  // The sink keeps every message; the bench only needs the arrival times.
  setInterval(() => sink!.messages.splice(0), 1000).unref();
  emit({ type: 'ready', sinkHost: sink.host, sinkPort: sink.port });
}

const bodyFor = (i: number): string =>
  JSON.stringify({ to: [`user${i % 50}@example.com`], subject: `bench ${i}`, text: `message ${i}\n${'lorem ipsum '.repeat(100)}` });

/** One POST; resolves with the status and the Message-ID the gateway fixed. */
function post(body: string): Promise<{ status: number; messageId: string | null; text: string }> {
  const { url, apiKey } = api!;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let messageId: string | null = null;
          try {
            messageId = (JSON.parse(text) as { message_id_header?: string }).message_id_header ?? null;
          } catch {
            // not JSON: reported as a failure below
          }
          resolve({ status: res.statusCode ?? 0, messageId, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(cmd: Extract<OutboundLoadCommand, { type: 'run' }>): Promise<void> {
  const sends: Array<{ start: number; accepted: number; id: string }> = [];
  const sendLagMs: number[] = [];
  const failures: string[] = [];
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();

  const one = async (i: number, start: number): Promise<void> => {
    sent++;
    try {
      const r = await post(bodyFor(cmd.offset + i));
      const accepted = performance.now();
      if (r.status === 202 && r.messageId) sends.push({ start, accepted, id: r.messageId.replace(/^<|>$/g, '') });
      else if (failures.length < 20) failures.push(`HTTP ${r.status} ${r.text.slice(0, 200)}`);
    } catch (err) {
      if (failures.length < 20) failures.push((err as Error).message);
    }
  };

  if (cmd.mode === 'closed') {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(cmd.concurrency, cmd.messages) }, async () => {
        while (next < cmd.messages) {
          const i = next++;
          await one(i, performance.now());
        }
      }),
    );
  } else {
    const interval = 1000 / cmd.rate;
    const inFlight: Array<Promise<void>> = [];
    let next = 0;
    while (next < cmd.messages) {
      const now = performance.now();
      while (next < cmd.messages && t0 + next * interval <= now) {
        const scheduled = t0 + next * interval;
        sendLagMs.push(now - scheduled);
        inFlight.push(one(next++, scheduled));
      }
      if (next < cmd.messages) await new Promise((r) => setTimeout(r, Math.max(0, t0 + next * interval - performance.now())));
    }
    await Promise.all(inFlight);
  }
  const lastAccepted = Math.max(...sends.map((s) => s.accepted));
  const deadline = performance.now() + cmd.drainMs;
  // Every 2 ms while the gateway works: resume at the first send not yet arrived instead of
  // rescanning them all, so this process's CPU stays off the machine the gateway shares.
  let waitingFrom = 0;
  for (;;) {
    while (waitingFrom < sends.length && arrived.has(sends[waitingFrom]!.id)) waitingFrom++;
    if (waitingFrom === sends.length || performance.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const cpu = process.cpuUsage(cpu0);

  const at = (s: (typeof sends)[number]): number => arrived.get(s.id) ?? Number.NaN;
  const arrivals = sends.map(at).filter((t) => !Number.isNaN(t));
  const report: OutboundPhaseReport = {
    type: 'phase-done',
    phase: cmd.phase,
    sent,
    accepted: sends.length,
    failures,
    apiMs: sends.map((s) => s.accepted - s.start),
    endToEndMs: sends.map((s) => at(s) - s.start),
    afterAcceptMs: sends.map((s) => at(s) - s.accepted),
    sendLagMs,
    missing: sends.length - arrivals.length,
    acceptSpanMs: lastAccepted - t0,
    deliverSpanMs: (arrivals.length ? Math.max(...arrivals) : Number.NaN) - t0,
    childCpuMs: (cpu.user + cpu.system) / 1000,
    startMs: sends.map((s) => s.start - t0),
  };
  for (const s of sends) arrived.delete(s.id);
  emit(report);
}

onParentCommand<OutboundLoadCommand>('outbound-load', (cmd) => {
  switch (cmd.type) {
    case 'init':
      return init();
    case 'configure':
      api = { url: new URL(cmd.url), apiKey: cmd.apiKey };
      return emit({ type: 'configured' });
    case 'run':
      return run(cmd);
    case 'exit':
      agent.destroy();
      void sink?.close();
      process.exit(0);
  }
});
