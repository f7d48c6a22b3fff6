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
import { AppError } from '../errors.js';
import type { CredentialWatch, HeldCredential } from './credential-watch.js';
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

/**
 * Sessions by socket, for the event handlers every socket shares: one function each for all
 * connections (`this` is the socket) rather than closures per connection, so that an idle
 * authenticated listener costs little more than its `ws` socket.
 */
const SESSIONS = new WeakMap<WebSocket, Session>();

function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  const session = SESSIONS.get(this);
  session?.enqueue(() => session.handle(data, isBinary));
}

function onClose(this: WebSocket): void {
  SESSIONS.get(this)?.ended();
}

function onError(this: WebSocket, err: Error): void {
  SESSIONS.get(this)?.deps.logger.debug({ err }, 'websocket error');
}

function onAuthTimeout(session: Session): void {
  session.close(CLOSE.authTimeout, `no credential within ${session.deps.authTimeoutMs} ms: send Authorization: Bearer or a first {"type":"auth","token":…} frame`);
}

/**
 * One connection's state. It is also the hub's sink for the connection and the credential the
 * watch holds for it, so a listener is this object, its subscription and its socket.
 */
class Session implements ListenerSink, HeldCredential {
  private state: 'auth' | 'open' | 'closed' = 'auth';
  private subscription: Subscription | null = null;
  /** Held by the credential watch (from authentication until the end). */
  private watched = false;
  /** The frame being handled and those queued behind it; null when there are none. */
  private chain: Promise<void> | null = null;
  /** Only while a connection without a header credential waits for its auth frame. */
  private authTimer: NodeJS.Timeout | null = null;
  keyId = '';
  agentId = '';

  constructor(
    private readonly ws: WebSocket,
    private readonly address: string,
    readonly deps: SessionDeps,
  ) {}

  // ---- ListenerSink (the hub) ----

  send(frame: string): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(frame, (err) => (err ? reject(err) : resolve())));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code: CloseCode, text: string): void {
    if (this.state === 'closed') return;
    this.ended();
    this.ws.close(code, reason(text));
  }

  // ---- HeldCredential (the credential watch) ----

  revoke(text: string): void {
    this.close(CLOSE.revoked, text);
  }

  // ---- the connection ----

  /** Closed by us or by the peer: leave the hub and the watch. */
  ended(): void {
    this.state = 'closed';
    this.stopAuthTimer();
    this.subscription?.leave();
    if (this.watched) this.deps.credentials.release(this);
  }

  startAuthTimer(): void {
    this.authTimer = setTimeout(onAuthTimeout, this.deps.authTimeoutMs, this);
    this.authTimer.unref();
  }

  private stopAuthTimer(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
  }

  // A method, not an inline comparison: `state` changes across awaits, which narrowing ignores.
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private sendJson(frame: ReadyFrame | AckedFrame | ErrorFrame): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  }

  enqueue(work: () => Promise<void>): void {
    const next = (this.chain ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.deps.logger.error({ err, address: this.address }, 'realtime session failed');
      this.close(CLOSE.internalError, 'internal error; reconnect');
    });
    this.chain = next;
    // Most listeners send nothing after connecting: an idle one keeps no settled promise.
    void next.then(() => {
      if (this.chain === next) this.chain = null;
    });
  }

  async authenticate(credential: RequestCredential, after: string | null): Promise<void> {
    this.stopAuthTimer();
    const { deps } = this;
    let principal: Principal;
    try {
      principal = await deps.authenticate(credential);
    } catch (err) {
      if (err instanceof AppError) return this.close(CLOSE.authFailed, err.message);
      throw err;
    }
    let agent: { id: string; address: string };
    try {
      agent = await deps.resolveAgent(principal, this.address);
    } catch (err) {
      if (err instanceof AppError && (err.code === 'not_found' || err.code === 'forbidden')) return this.close(CLOSE.notFound, err.message);
      throw err;
    }
    if (this.isClosed()) return;
    const refused = await deps.admit(principal, agent.id);
    if (refused) return this.close(refused.code, refused.reason);
    if (this.isClosed()) return;
    this.keyId = principal.keyId;
    this.agentId = agent.id;
    this.watched = true;
    deps.credentials.hold(this);
    if (this.isClosed()) return;
    const afterSeq = after ? await deps.hub.seqOf(agent.id, after) : null;
    if (this.isClosed()) return;
    this.state = 'open';
    this.sendJson({ type: 'ready', agent: { id: agent.id, address: agent.address }, ping_interval_ms: deps.pingIntervalMs });
    if (after && afterSeq === null) {
      this.sendJson({ type: 'error', code: 'unknown_event', message: `no event ${after} for this agent; replaying from the oldest unacknowledged event`, event_id: after });
    }
    const sub = await deps.hub.join(this, agent.id, afterSeq ?? 0);
    if (this.isClosed()) sub.leave();
    else this.subscription = sub;
  }

  async handle(data: WebSocket.RawData, isBinary: boolean): Promise<void> {
    if (this.state === 'closed') return;
    let frame: ClientFrame | null = null;
    if (!isBinary) {
      try {
        const parsed = ClientFrame.safeParse(JSON.parse(data.toString()));
        if (parsed.success) frame = parsed.data;
      } catch {
        frame = null;
      }
    }
    if (this.state === 'auth') {
      if (frame?.type === 'auth') return this.authenticate({ kind: 'key', token: frame.token }, frame.after ?? null);
      return this.close(CLOSE.badFrame, 'the first frame must be {"type":"auth","token":"e2a_…"} (or send an Authorization header)');
    }
    if (!frame) {
      return this.sendJson({ type: 'error', code: 'bad_frame', message: 'expected a JSON text frame: {"type":"ack","event_id":…} or {"type":"resume","after":…}' });
    }
    if (frame.type === 'auth') return this.sendJson({ type: 'error', code: 'already_authenticated', message: 'this connection is already authenticated' });
    const sub = this.subscription;
    if (!sub) return;
    if (frame.type === 'ack') {
      if (await sub.ack(frame.event_id)) {
        this.sendJson({ type: 'acked', event_id: frame.event_id });
      } else {
        this.sendJson({ type: 'error', code: 'unknown_event', message: `no event ${frame.event_id} for this agent; nothing acknowledged`, event_id: frame.event_id });
      }
      return;
    }
    if (!(await sub.resume(frame.after))) {
      this.sendJson({ type: 'error', code: 'unknown_event', message: `no event ${frame.after} for this agent; the stream continues where it was`, event_id: frame.after });
    }
  }
}

export function startSession(ws: WebSocket, req: SessionRequest, deps: SessionDeps): void {
  const session = new Session(ws, req.address, deps);
  SESSIONS.set(ws, session);
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', onError);

  const { credential, after } = req;
  if (credential?.kind === 'key' && credential.token === null) session.close(CLOSE.authFailed, 'Authorization header must be "Bearer e2a_…"');
  else if (credential) session.enqueue(() => session.authenticate(credential, after));
  // A timer only while waiting for an auth frame: authenticated listeners hold none.
  else session.startAuthTimer();
}
