/**
 * Hash routes (`#/reviews`, `#/messages/<address>/<id>` …): the gateway serves one index.html, and
 * a hash never reaches the server, so no route can collide with an API path.
 */
import { useEffect, useState } from 'react';

export type Route =
  | { name: 'home' }
  | { name: 'reviews' }
  | { name: 'inboxes'; address: string | null }
  | { name: 'message'; address: string; id: string }
  | { name: 'webhooks' }
  | { name: 'events' }
  | { name: 'domains' }
  | { name: 'keys' }
  | { name: 'outbox' }
  | { name: 'settings' }
  | { name: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const [head, a, b] = parts;
  switch (head) {
    case undefined:
      return { name: 'home' };
    case 'inboxes':
      return parts.length <= 2 ? { name: 'inboxes', address: a ?? null } : { name: 'not-found', path };
    case 'messages':
      return a && b && parts.length === 3 ? { name: 'message', address: a, id: b } : { name: 'not-found', path };
    case 'reviews':
    case 'webhooks':
    case 'events':
    case 'domains':
    case 'keys':
    case 'outbox':
    case 'settings':
      return parts.length === 1 ? { name: head } : { name: 'not-found', path };
    default:
      return { name: 'not-found', path };
  }
}

/** The link to a route, parameters encoded. */
export const href = {
  message: (address: string, id: string) => `#/messages/${encodeURIComponent(address)}/${encodeURIComponent(id)}`,
  inbox: (address: string) => `#/inboxes/${encodeURIComponent(address)}`,
};

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The current route; follows back/forward and link clicks. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
