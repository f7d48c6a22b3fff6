/**
 * The page frame: a skip link, the banner with the navigation, and the main region. On a route
 * change focus moves to the main heading region, so a keyboard or screen-reader user lands on the
 * new screen instead of staying on the link they followed.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import type { Route } from './router.js';

const NAV: Array<{ hash: string; label: string; matches: Route['name'][] }> = [
  { hash: '#/reviews', label: 'Review queue', matches: ['reviews'] },
  { hash: '#/inboxes', label: 'Inboxes', matches: ['inboxes', 'message'] },
  { hash: '#/outbox', label: 'Outbox', matches: ['outbox'] },
  { hash: '#/webhooks', label: 'Webhooks', matches: ['webhooks'] },
  { hash: '#/events', label: 'Events', matches: ['events'] },
  { hash: '#/domains', label: 'Domains', matches: ['domains'] },
  { hash: '#/keys', label: 'API keys', matches: ['keys'] },
  { hash: '#/settings', label: 'Settings', matches: ['settings'] },
];

export function Layout(props: { route: Route; pending: number | null; onSignOut: () => void; children: ReactNode }) {
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [props.route]);
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="banner">
        <p className="brand">e2a</p>
        <nav aria-label="Dashboard">
          <ul>
            {NAV.map((item) => (
              <li key={item.hash}>
                <a href={item.hash} aria-current={item.matches.includes(props.route.name) ? 'page' : undefined}>
                  {item.label}
                  {item.hash === '#/reviews' && props.pending ? <span className="badge-count"> ({props.pending} held)</span> : null}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="sign-out" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
