/**
 * One WebSocket connection: authenticate (header, or a first `auth` frame within the timeout), check
 * the key may see the agent, send `ready`, subscribe to the hub, then handle `ack` and `resume`.
 * Client frames are handled one at a time, in arrival order, so a client may pipeline
 * `auth` → `resume` → `ack` without waiting for replies. From authentication on, the key and the
 * agent are watched (credential-watch.ts): revoking the key or deleting the agent closes the
 * connection with `revoked`.
 */
import { CLOSE, ClientFrame, type AckedFrame, type CloseCode, type ErrorFrame, type ReadyFrame } from '@e2a/sdk/wire';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { Principal } from '../accounts/principal.js';
import type { RequestCredential } from '../http/credentials.js';
import { AppError } from '../http/errors.js';
import type { CredentialWatch } from './credential-watch.js';
import type { ListenerSink, RealtimeHub, Subscription } from './hub.js';

export interface SessionDeps {
  hub: RealtimeHub;
  credentials: CredentialWatch;
  /** AccountsService.principalFor: an API key, or a dashboard session cookie. */
  authenticate(credential: RequestCredential): Promise<Principal>;
  resolveAgent(principal: Principal, address: string): Promise<{ id: string; address: string }>;
  /** Rate limits and the listener cap, once the key and agent are known: a refusal closes the connection. */
  admit(principal: Principal, agentId: string): Promise<{ code: CloseCode; reason: string } | null>;
  logger: Logger;
  pingIntervalMs: number;
  authTimeoutMs: number;
}

export interface SessionRequest {
  address: string;
  /**
   * The upgrade's credential (`Authorization: Bearer`, or the dashboard session cookie from one of the
   * gateway's own pages); null when there is none and the first frame must authenticate.
   */
  credential: RequestCredential | null;
  /** `?after=evt_…` (not a credential, so allowed in the URL). */
  after: string | null;
}

/** Close reasons are limited to 123 bytes (RFC 6455 §5.5: control frame payload ≤ 125). */
function reason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -2) + '…';
  return out;
}

export function startSession(ws: WebSocket, req: SessionRequest, deps: SessionDeps): void {
  let state: 'auth' | 'open' | 'closed' = 'auth';
  let subscription: Subscription | null = null;
  let release: () => void = () => {};
  let chain: Promise<void> = Promise.resolve();
  // A function, not an inline comparison: `state` changes across awaits, which narrowing ignores.
  const isClosed = () => state === 'closed';

  const close = (code: CloseCode, text: string) => {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(authTimer);
    subscription?.leave();
    release();
    ws.close(code, reason(text));
  };
  const sendJson = (frame: ReadyFrame | AckedFrame | ErrorFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const sink: ListenerSink = {
    send: (frame) => new Promise((resolve, reject) => ws.send(frame, (err) => (err ? reject(err) : resolve()))),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    close,
  };

  // A per-connection timer only until authentication: idle authenticated listeners have none.
  const authTimer = setTimeout(
    () => close(CLOSE.authTimeout, `no credential within ${deps.authTimeoutMs} ms: send Authorization: Bearer or a first {"type":"auth","token":…} frame`),
    deps.authTimeoutMs,
  );
  authTimer.unref();

  const authenticate = async (credential: RequestCredential, after: string | null) => {
    clearTimeout(authTimer);
    let principal: Principal;
    try {
      principal = await deps.authenticate(credential);
    } catch (err) {
      if (err instanceof AppError) return close(CLOSE.authFailed, err.message);
      throw err;
    }
    let agent: { id: string; address: string };
    try {
      agent = await deps.resolveAgent(principal, req.address);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'not_found' || err.code === 'forbidden')) return close(CLOSE.notFound, err.message);
      throw err;
    }
    if (isClosed()) return;
    const refused = await deps.admit(principal, agent.id);
    if (refused) return close(refused.code, refused.reason);
    if (isClosed()) return;
    release = deps.credentials.hold({ keyId: principal.keyId, agentId: agent.id, revoke: (text) => close(CLOSE.revoked, text) });
    if (isClosed()) return;
    const afterSeq = after ? await deps.hub.seqOf(agent.id, after) : null;
    if (isClosed()) return;
    state = 'open';
    sendJson({ type: 'ready', agent: { id: agent.id, address: agent.address }, ping_interval_ms: deps.pingIntervalMs });
    if (after && afterSeq === null) {
      sendJson({ type: 'error', code: 'unknown_event', message: `no event ${after} for this agent; replaying from the oldest unacknowledged event`, event_id: after });
    }
    const sub = await deps.hub.join(sink, agent.id, afterSeq ?? 0);
    if (isClosed()) sub.leave();
    else subscription = sub;
  };

  const handle = async (data: WebSocket.RawData, isBinary: boolean) => {
    if (state === 'closed') return;
    let frame: ClientFrame | null = null;
    if (!isBinary) {
      try {
        const parsed = ClientFrame.safeParse(JSON.parse(data.toString()));
        if (parsed.success) frame = parsed.data;
      } catch {
        frame = null;
      }
    }
    if (state === 'auth') {
      if (frame?.type === 'auth') return authenticate({ kind: 'key', token: frame.token }, frame.after ?? null);
      return close(CLOSE.badFrame, 'the first frame must be {"type":"auth","token":"e2a_…"} (or send an Authorization header)');
    }
    if (!frame) {
      return sendJson({ type: 'error', code: 'bad_frame', message: 'expected a JSON text frame: {"type":"ack","event_id":…} or {"type":"resume","after":…}' });
    }
    if (frame.type === 'auth') return sendJson({ type: 'error', code: 'already_authenticated', message: 'this connection is already authenticated' });
    const sub = subscription;
    if (!sub) return;
    if (frame.type === 'ack') {
      if (await sub.ack(frame.event_id)) {
        sendJson({ type: 'acked', event_id: frame.event_id });
      } else {
        sendJson({ type: 'error', code: 'unknown_event', message: `no event ${frame.event_id} for this agent; nothing acknowledged`, event_id: frame.event_id });
      }
      return;
    }
    if (!(await sub.resume(frame.after))) {
      sendJson({ type: 'error', code: 'unknown_event', message: `no event ${frame.after} for this agent; the stream continues where it was`, event_id: frame.after });
    }
  };

  const enqueue = (work: () => Promise<void>) => {
    chain = chain.then(work).catch((err) => {
      deps.logger.error({ err, address: req.address }, 'realtime session failed');
      close(CLOSE.internalError, 'internal error; reconnect');
    });
  };

  ws.on('message', (data, isBinary) => enqueue(() => handle(data, isBinary)));
  ws.on('close', () => {
    state = 'closed';
    clearTimeout(authTimer);
    subscription?.leave();
    release();
  });
  ws.on('error', (err) => deps.logger.debug({ err }, 'websocket error'));

  const { credential } = req;
  if (credential?.kind === 'key' && credential.token === null) close(CLOSE.authFailed, 'Authorization header must be "Bearer e2a_…"');
  else if (credential) enqueue(() => authenticate(credential, req.after));
}
