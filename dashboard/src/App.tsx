/**
 * The dashboard: checks the session, then routes between screens. Without a session (401) it shows
 * the sign-in screen. With held mail waiting, the landing page is the review queue.
 */
import { useEffect, useState } from 'react';
import { AuthenticationError, type E2A } from '@e2a/sdk';
import { DomainsScreen } from './screens/Domains.js';
import { EventsScreen } from './screens/Events.js';
import { InboxesScreen } from './screens/Inboxes.js';
import { KeysScreen } from './screens/Keys.js';
import { MessageScreen } from './screens/Message.js';
import { OutboxScreen } from './screens/Outbox.js';
import { ReviewsScreen } from './screens/Reviews.js';
import { SettingsScreen } from './screens/Settings.js';
import { WebhooksScreen } from './screens/Webhooks.js';
import { Layout } from './ui/layout.js';
import { useRoute, type Route } from './ui/router.js';
import { ErrorNote, Loading, errorText } from './ui/screen-kit.js';
import { SignIn } from './ui/sign-in.js';

type Session = { state: 'checking' } | { state: 'signed-out' } | { state: 'error'; error: string } | { state: 'signed-in'; pending: number };

export function App(props: { client: E2A }) {
  const { client } = props;
  const route = useRoute();
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    client.reviews.count().then(
      ({ pending }) => {
        if (!live) return;
        setSession({ state: 'signed-in', pending });
        if (parseHome()) location.replace(pending > 0 ? '#/reviews' : '#/inboxes');
      },
      (err: unknown) => live && setSession(err instanceof AuthenticationError ? { state: 'signed-out' } : { state: 'error', error: errorText(err) }),
    );
    return () => {
      live = false;
    };
  }, [client, attempt]);

  if (session.state === 'checking') return <main id="main"><Loading what="the dashboard" /></main>;
  if (session.state === 'signed-out') return <SignIn client={client} />;
  if (session.state === 'error')
    return (
      <main id="main">
        <h1>e2a</h1>
        <ErrorNote error={`Could not reach the gateway: ${session.error}`} onRetry={() => setAttempt((n) => n + 1)} />
      </main>
    );

  const signOut = () => {
    client.sessions.signOut().finally(() => setSession({ state: 'signed-out' }));
  };
  return (
    <Layout route={route} pending={session.pending} onSignOut={signOut}>
      <Screen route={route} client={client} onPending={(pending) => setSession({ state: 'signed-in', pending })} />
    </Layout>
  );
}

function parseHome(): boolean {
  return location.hash === '' || location.hash === '#' || location.hash === '#/';
}

function Screen(props: { route: Route; client: E2A; onPending: (n: number) => void }) {
  const { route, client } = props;
  switch (route.name) {
    case 'home':
      return <Loading what="the dashboard" />;
    case 'reviews':
      return <ReviewsScreen client={client} onPending={props.onPending} />;
    case 'inboxes':
      return <InboxesScreen client={client} />;
    case 'message':
      return <MessageScreen key={`${route.address}/${route.id}`} client={client} address={route.address} id={route.id} />;
    case 'webhooks':
      return <WebhooksScreen client={client} />;
    case 'events':
      return <EventsScreen client={client} />;
    case 'domains':
      return <DomainsScreen client={client} />;
    case 'keys':
      return <KeysScreen client={client} />;
    case 'outbox':
      return <OutboxScreen client={client} />;
    case 'settings':
      return <SettingsScreen client={client} />;
    case 'not-found':
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no page at <code>#{route.path}</code>. <a href="#/reviews">Go to the review queue</a>.
          </p>
        </>
      );
  }
}
