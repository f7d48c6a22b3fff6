/**
 * Limits on sessions themselves, per process: how many at once (in all and per client network), how
 * long one may last, and how slowly it may send. Without them 1,000 connections from one address
 * were accepted, a client sending a byte every 40 s (under the idle timeout) held its session for
 * ever, and 600 such sessions used up the file descriptors the HTTP API needs too.
 *
 * smtp-server has an idle timeout and a total cap (`maxClients`, kept as a backstop for sockets still
 * in a PROXY or TLS handshake) but nothing per client, no session deadline and no rate floor, so a
 * sweep here checks every open connection once per tick. Postfix's equivalents: smtpd_client_
 * connection_count_limit, smtpd_timeout, and smtpd_min_data_rate with per-request deadlines.
 */
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import type { SmtpReply } from '../smtp-reply.js';
import { REPLY, replyText } from '../smtp-reply.js';
import { clientNetwork } from './client-network.js';

export interface SessionLimits {
  /** Sessions this process serves at once; more are answered 421 4.3.2. */
  maxConnections: number;
  /** Sessions one client network (clientNetwork()) may hold at once; more get 421 4.7.0. */
  maxConnectionsPerClient: number;
  /** A session that sends nothing for this long is closed (smtp-server's socket timeout). */
  idleTimeoutMs: number;
  /** No session lasts longer than this; it is told 421 4.4.2 and may reconnect. */
  maxSessionMs: number;
  /**
   * After its first idle-timeout period, a session must have sent at least this many bytes per
   * second of its age on average, or it is closed with 421 4.4.2. 0 turns the floor off.
   */
  minBytesPerSecond: number;
  /** Refused recipients one session may try before 421 4.7.0. */
  maxRefusedRecipients: number;
  /** Each refused recipient is answered this much later than the one before (a tarpit)… */
  refusalDelayStepMs: number;
  /** …up to this delay. */
  refusalDelayMaxMs: number;
}

/**
 * Sockets the listener keeps open at most, counted by Node (`net.Server.maxConnections`): sessions,
 * sockets still in a handshake, and refused ones. A refused client that never closes its side holds
 * its socket for up to 5 s (smtp-server's half-close deadline), so a fast flood of connections that
 * are each answered 421 would still use up descriptors. Past this cap Node closes a new connection
 * at once, before any byte is read: the 421 answers go to the first ones over `maxConnections`, the
 * flood beyond them costs one accept and one close each.
 */
export function socketCap(limits: SessionLimits): number {
  return Math.ceil(limits.maxConnections * 1.2) + 10;
}

/** What smtp-server's connection objects expose that the sweep needs (declared in its typings). */
interface Connection {
  id: string;
  _socket: { bytesRead: number };
  send(code: number, data?: string, context?: false): void;
}

interface Tracked {
  startedAt: number;
  /** Bytes read by sockets this session used before its current one (STARTTLS swaps the socket). */
  earlierBytes: number;
  socket: { bytesRead: number };
}

export interface SessionGuard {
  /** Admits a new session or says why not (the session then gets the reply and is closed). */
  open(session: SMTPServerSession): SmtpReply | null;
  /** Forgets a session; safe to call for one never admitted. */
  close(session: SMTPServerSession): void;
  /** How long to hold the answer to a refused recipient, given how many this session had before. */
  refusalDelayMs(refusedBefore: number): number;
  start(): void;
  stop(): void;
}

export function createSessionGuard(server: SMTPServer, limits: SessionLimits, now: () => number = Date.now): SessionGuard {
  const perClient = new Map<string, number>();
  /** Admitted sessions and the client network each was counted against. */
  const counted = new Map<string, string>();
  const tracked = new WeakMap<Connection, Tracked>();
  let timer: NodeJS.Timeout | null = null;

  const sweep = (): void => {
    const at = now();
    for (const c of server.connections as unknown as Set<Connection>) {
      let t = tracked.get(c);
      if (!t) {
        t = { startedAt: at, earlierBytes: 0, socket: c._socket };
        tracked.set(c, t);
      }
      if (t.socket !== c._socket) {
        t.earlierBytes += t.socket.bytesRead;
        t.socket = c._socket;
      }
      const age = at - t.startedAt;
      if (age >= limits.maxSessionMs) {
        refuse(c, REPLY.sessionTooLong);
        continue;
      }
      const owed = limits.minBytesPerSecond * Math.max(0, age - limits.idleTimeoutMs) / 1000;
      if (owed > 0 && t.earlierBytes + c._socket.bytesRead < owed) refuse(c, REPLY.tooSlow);
    }
  };

  return {
    open(session) {
      if (server.connections.size > limits.maxConnections) return REPLY.tooManyConnections;
      const client = clientNetwork(session.remoteAddress);
      const held = perClient.get(client) ?? 0;
      if (held >= limits.maxConnectionsPerClient) return REPLY.tooManyClientConnections;
      perClient.set(client, held + 1);
      counted.set(session.id, client);
      return null;
    },

    close(session) {
      const client = counted.get(session.id);
      if (client === undefined) return;
      counted.delete(session.id);
      const held = (perClient.get(client) ?? 1) - 1;
      if (held <= 0) perClient.delete(client);
      else perClient.set(client, held);
    },

    refusalDelayMs(refusedBefore) {
      return Math.min(refusedBefore * limits.refusalDelayStepMs, limits.refusalDelayMaxMs);
    },

    start() {
      // A tick of a second (or finer when tests shrink the limits) keeps enforcement within a
      // second of the limit at the cost of one pass over the open sessions.
      const tick = Math.max(10, Math.min(1000, limits.idleTimeoutMs / 4, limits.maxSessionMs / 4));
      timer ??= setInterval(sweep, tick);
      timer.unref();
    },

    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

/** 421 closes the connection (smtp-server closes after sending any 421); the text carries our code. */
function refuse(connection: Connection, reply: SmtpReply): void {
  connection.send(reply.code, replyText(reply), false);
}
