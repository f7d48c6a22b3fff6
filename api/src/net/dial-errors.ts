/**
 * What a failed webhook attempt tells the tenant (POST /v1/webhooks/{id}/test, the delivery history):
 * what failed and what to fix, in terms of the URL the tenant wrote, never an address the gateway
 * resolved a name to. Node's socket errors name the dialled address ("connect ECONNREFUSED
 * 10.0.0.5:443"), and echoing them would turn the test endpoint into a probe of the operator's
 * internal DNS: which names exist inside, and where they point. So the text is built from the error
 * code and the URL's own host and port. With private targets refused, a name that does not resolve
 * and a name that resolves only to private addresses get the same answer (noPublicAddress), so the
 * answer does not tell which internal names exist either.
 */
import type { TargetPolicy } from './address-policy.js';
import { ForbiddenTargetError, noPublicAddress } from './guarded-lookup.js';
import { urlHost } from './target-url.js';

const NO_ADDRESS = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);
const TLS_CODE = /CERT|TLS|SSL|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME/;

export function describeDialFailure(err: unknown, url: URL, policy: TargetPolicy): string {
  const host = urlHost(url);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (err instanceof ForbiddenTargetError) return err.message;
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') {
    // Our own errors (deadline, a connection closed before any answer) name no address.
    return err instanceof Error ? err.message : 'connection failed';
  }
  if (NO_ADDRESS.has(code)) return policy.allowPrivate ? `${host} does not resolve (${code}); check the name` : noPublicAddress(host);
  switch (code) {
    case 'EAI_AGAIN':
      return `looking up ${host} failed for now (EAI_AGAIN); try again`;
    case 'ECONNREFUSED':
      return `${host}:${port} refused the connection; is the receiver listening on that port?`;
    case 'ECONNRESET':
    case 'EPIPE':
    // undici's name for a peer that closed the socket mid-request (SocketError "other side closed").
    case 'UND_ERR_SOCKET':
      return `${host}:${port} closed the connection (${code}) before answering`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `connecting to ${host}:${port} timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host} is unreachable from this gateway (${code})`;
  }
  if (TLS_CODE.test(code)) return `TLS with ${host} failed (${code}); the receiver needs a valid certificate for ${host}`;
  return `connection to ${host}:${port} failed (${code})`;
}
