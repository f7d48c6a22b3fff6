/**
 * The delivery bench's outside world, run as a child process (child_process.fork) so that its CPU
 * and memory are not the gateway's: the SMTP sender (open loop, a fixed rate), the webhook receiver
 * (node:http on 127.0.0.1) and every WebSocket client. ONE clock (this process's performance.now())
 * stamps both the 250 and the arrival of the webhook or the WebSocket frame, so a latency is never
 * the difference of two processes' clocks.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signMessage } from '@e2a/relay/testing';
import { verifyWebhook } from '@e2a/sdk';
import WebSocket from 'ws';
import { buildSizedMessage, toWire } from './bench-messages.js';
import { closeIdleListeners, openIdleListeners } from './idle-listeners.js';
import { onParentCommand } from './load-child.js';
import { PipelinedSmtpClient } from './pipelined-smtp-client.js';

import type { InitCommand, LatencyCommand, LoadCommand, RecordedPost, Signatures, LoadEvent } from './delivery-protocol.js';

let init: InitCommand | null = null;
let receiver: Server | null = null;
let secrets: Record<string, string> = {};
let verification: Signatures = { checked: 0, failed: 0, lastError: '' };
const takeSignatures = (): Signatures => {
  const out = verification;
  verification = { checked: 0, failed: 0, lastError: '' };
  return out;
};

/** The latency phase in progress: subject → arrival time(s). */
let latencyArrivals: Map<string, number[]> | null = null;
let onLatencyArrival: (() => void) | null = null;
/** Set while a prepared latency phase waits for the parent's `go` (so CPU marks exclude signing). */
let go: (() => void) | null = null;

/** The throughput drain in progress. */
let drain: { expected: number; arrivals: number[]; ids: Set<string>; record: boolean; done: () => void } | null = null;
/** The last recorded drain's requests, for the keep-alive anchor (`save-drain`). */
let recorded: RecordedPost[] = [];

const idleListeners: WebSocket[] = [];

function emit(event: LoadEvent): void {
  process.send!(event);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- the webhook receiver ---------------------------------------------------------------------

function startReceiver(): Promise<string> {
  receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Stamped when the whole body is in: "the webhook was received".
      const at = performance.now();
      res.writeHead(204).end();
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks);
      // A sample of signatures is checked (against the secret from the create response), so the
      // figures are for real, verifiable deliveries, without the receiver's HMAC in every arrival.
      const secret = secrets[path];
      if (secret && verification.checked < 200) {
        verification.checked++;
        try {
          verifyWebhook(body, req.headers as Record<string, string>, secret);
        } catch (err) {
          verification.failed++;
          verification.lastError = (err as Error).message;
        }
      }
      if (path === '/lat') {
        const event = JSON.parse(body.toString('utf8')) as { data?: { subject?: string } };
        recordLatencyArrival(event.data?.subject, at);
      } else if (path.startsWith('/tp/') && drain) {
        drain.arrivals.push(at);
        drain.ids.add(`${path} ${String(req.headers['webhook-id'])}`);
        if (drain.record) {
          const h = req.headers as Record<string, string>;
          recorded.push({ path, headers: { 'webhook-id': h['webhook-id']!, 'webhook-timestamp': h['webhook-timestamp']!, 'webhook-signature': h['webhook-signature']! }, body: body.toString('utf8') });
        }
        if (drain.arrivals.length >= drain.expected) drain.done();
      }
    });
  });
  // Node's default keep-alive (5 s, announced as `Keep-Alive: timeout=5`), as most receivers run:
  // the gateway's pools and the anchor's both reuse connections within it.
  return new Promise((resolve) => {
    receiver!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(receiver!.address() as AddressInfo).port}`));
  });
}

function recordLatencyArrival(subject: string | undefined, at: number): void {
  if (!latencyArrivals || !subject) return;
  const seen = latencyArrivals.get(subject);
  if (seen) seen.push(at);
  else latencyArrivals.set(subject, [at]);
  onLatencyArrival?.();
}

// ---- the open-loop SMTP sender ----------------------------------------------------------------

async function latencyPhase(cmd: LatencyCommand): Promise<void> {
  const cfg = init!;
  const prepStarted = performance.now();
  const count = Math.max(1, Math.round(cmd.rate * cmd.seconds));
  const envelope = { from: cfg.from, to: cmd.to };
  const subjects: string[] = [];
  const wires: Buffer[] = [];
  // Built and signed before the clock starts; buildSizedMessage puts `bench <phaseId> #<i>` in Subject.
  for (let i = 0; i < count; i++) {
    wires.push(toWire(await signMessage(buildSizedMessage(i, cmd.phaseId, envelope, cfg.sizeBytes), cfg.key)));
    subjects.push(`bench ${cmd.phaseId} #${i}`);
  }
  latencyArrivals = new Map();
  takeSignatures();

  let ws: WebSocket | null = null;
  if (cmd.channel === 'ws') {
    const listen = cmd.listen!;
    ws = new WebSocket(`${cfg.wsBase}/v1/agents/${encodeURIComponent(listen.address)}/ws`, { headers: { authorization: `Bearer ${listen.key}` } });
    await new Promise<void>((resolve, reject) => {
      ws!.once('error', reject);
      ws!.on('message', (data) => {
        const at = performance.now();
        const frame = JSON.parse(data.toString()) as { type: string; event?: { data?: { subject?: string } } };
        if (frame.type === 'ready') resolve();
        else if (frame.type === 'event') recordLatencyArrival(frame.event?.data?.subject, at);
      });
      ws!.once('close', (code, reason) => reject(new Error(`listener closed before ready: ${code} ${reason.toString()}`)));
    });
  }

  // A pool of persistent connections, as an MTA keeps for one destination; a message due while
  // every connection is busy gets a new one, so the schedule never waits for the gateway.
  const idle: PipelinedSmtpClient[] = [];
  let opened = 0;
  const openOne = async () => {
    opened++;
    return PipelinedSmtpClient.open(cfg.smtpHost, cfg.smtpPort, 'load.sender.example');
  };
  for (let i = 0; i < 4; i++) idle.push(await openOne());
  await new Promise<void>((resolve) => {
    go = resolve;
    emit({ type: 'prepared', prepareMs: performance.now() - prepStarted });
  });
  go = null;

  const ackAt = new Array<number>(count).fill(Number.NaN);
  const smtpMs = new Array<number>(count).fill(Number.NaN);
  const sendLagMs: number[] = [];
  const failures: string[] = [];
  let acked = 0;
  const sendOne = async (i: number) => {
    const client = idle.pop() ?? (await openOne());
    try {
      const { reply, latencyMs } = await client.send(envelope.from, envelope.to, wires[i]!);
      const at = performance.now();
      if (reply.code === 250) {
        acked++;
        ackAt[i] = at;
        smtpMs[i] = latencyMs;
      } else if (failures.length < 20) failures.push(reply.text);
      idle.push(client);
    } catch (err) {
      if (failures.length < 20) failures.push(`#${i}: ${(err as Error).message}`);
    }
  };

  const cpu0 = process.cpuUsage();
  const interval = 1000 / cmd.rate;
  const t0 = performance.now() + 20;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0.5) await sleep(wait);
    sendLagMs.push(Math.max(0, performance.now() - due));
    inFlight.push(sendOne(i));
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - t0;

  // Stragglers: wait until every acked message has arrived, or drainMs after the last 250.
  const complete = () => subjects.every((s, i) => Number.isNaN(ackAt[i]!) || latencyArrivals!.has(s));
  const deadline = performance.now() + cmd.drainMs;
  while (!complete() && performance.now() < deadline) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, deadline - performance.now()));
      onLatencyArrival = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    onLatencyArrival = null;
  }
  const cpu = process.cpuUsage(cpu0);

  const deliveryMs: number[] = [];
  const ackedSmtp: number[] = [];
  let missing = 0;
  let duplicates = 0;
  subjects.forEach((s, i) => {
    if (Number.isNaN(ackAt[i]!)) return;
    ackedSmtp.push(smtpMs[i]!);
    const arrivals = latencyArrivals!.get(s);
    if (!arrivals) {
      missing++;
      deliveryMs.push(Number.NaN);
      return;
    }
    duplicates += arrivals.length - 1;
    deliveryMs.push(arrivals[0]! - ackAt[i]!);
  });
  latencyArrivals = null;
  for (const c of idle) await c.quit();
  if (ws) {
    ws.close(1000);
    await new Promise((r) => ws!.once('close', r));
  }
  emit({
    type: 'latency-done',
    phaseId: cmd.phaseId,
    sent: count,
    acked,
    failures,
    deliveryMs,
    smtpMs: ackedSmtp,
    sendLagMs,
    missing,
    duplicates,
    signatures: takeSignatures(),
    elapsedMs,
    achievedRate: count / (elapsedMs / 1000),
    smtpConnections: opened,
    childCpuMs: (cpu.user + cpu.system) / 1000,
  });
}

// ---- throughput: count a backlog draining -----------------------------------------------------

function armDrain(expected: number, timeoutMs: number, record: boolean): void {
  const cpu0 = process.cpuUsage();
  let timer: NodeJS.Timeout | undefined;
  const finish = (timedOut: boolean) => {
    if (!drain) return;
    clearTimeout(timer);
    const { arrivals, ids } = drain;
    drain = null;
    const first = arrivals[0] ?? 0;
    const perSecond: number[] = [];
    for (const at of arrivals) {
      const b = Math.floor((at - first) / 1000);
      perSecond[b] = (perSecond[b] ?? 0) + 1;
    }
    const cpu = process.cpuUsage(cpu0);
    emit({
      type: 'drained',
      received: arrivals.length,
      unique: ids.size,
      spanMs: arrivals.length > 1 ? arrivals[arrivals.length - 1]! - first : 0,
      perSecond: Array.from(perSecond, (n) => n ?? 0),
      timedOut,
      signatures: takeSignatures(),
      childCpuMs: (cpu.user + cpu.system) / 1000,
    });
  };
  takeSignatures();
  recorded = [];
  drain = { expected, arrivals: [], ids: new Set(), record, done: () => finish(false) };
  timer = setTimeout(() => finish(true), timeoutMs);
  emit({ type: 'armed' });
}

// ---- idle listeners ----------------------------------------------------------------------------

async function openListeners(cmd: Extract<LoadCommand, { type: 'listeners' }>): Promise<void> {
  const urls: string[] = [];
  for (let k = 0; k < cmd.perAddress; k++) for (const address of cmd.addresses) urls.push(`${init!.wsBase}/v1/agents/${encodeURIComponent(address)}/ws`);
  const opened = await openIdleListeners(urls, { authorization: `Bearer ${cmd.key}` }, cmd.inFlight, idleListeners);
  emit({ type: 'listeners-open', ...opened });
}

async function closeListeners(): Promise<void> {
  emit({ type: 'listeners-closed', closed: await closeIdleListeners(idleListeners) });
}

onParentCommand<LoadCommand>('delivery-load', (cmd) => {
  switch (cmd.type) {
    case 'init':
      init = cmd;
      return startReceiver().then((receiverUrl) => emit({ type: 'initialised', receiverUrl }));
    case 'secrets':
      secrets = cmd.secrets;
      return emit({ type: 'ok' });
    case 'latency':
      return latencyPhase(cmd);
    case 'go':
      return go?.();
    case 'arm-drain':
      return armDrain(cmd.expected, cmd.timeoutMs, cmd.record ?? false);
    case 'save-drain':
      writeFileSync(cmd.file, recorded.map((r) => JSON.stringify(r)).join('\n'));
      return emit({ type: 'drain-saved', count: recorded.length });
    case 'listeners':
      return openListeners(cmd);
    case 'close-listeners':
      return closeListeners();
    case 'exit':
      process.exit(0);
  }
});
