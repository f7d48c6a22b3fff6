/**
 * Shown when the API answers 401: there is no session (never signed in, signed out, or expired).
 * Two ways in: a link from the CLI (`npx e2a dashboard`, with the account key) or one sent by email.
 */
import { useState } from 'react';
import type { E2A } from '@e2a/sdk';
import { errorText } from './screen-kit.js';

export function SignIn(props: { client: E2A }) {
  const [email, setEmail] = useState('');
  const [state, setState] = useState<{ phase: 'idle' | 'sending' | 'sent' } | { phase: 'error'; error: string }>({ phase: 'idle' });
  return (
    <main id="main" className="sign-in">
      <h1>Sign in to e2a</h1>
      <p>The dashboard signs you in with a one-time link. Either:</p>
      <h2>Get a link from the command line</h2>
      <p>
        Where the account key is set (<code>E2A_API_KEY</code>), run <code>npx e2a dashboard</code> and open the link
        it prints (or add <code>--open</code>). The server also prints one when it first starts.
      </p>
      <h2>Get a link by email</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setState({ phase: 'sending' });
          props.client.signInLinks.email(email).then(
            () => setState({ phase: 'sent' }),
            (err: unknown) => setState({ phase: 'error', error: errorText(err) }),
          );
        }}
      >
        <label htmlFor="sign-in-email">Account email</label>
        <input id="sign-in-email" type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <button type="submit" disabled={state.phase === 'sending'}>
          Email me a link
        </button>
      </form>
      <div role="status" aria-live="polite">
        {state.phase === 'sent' && <p>If an account has that address, a sign-in link is on its way. It works once, for 15 minutes.</p>}
      </div>
      {state.phase === 'error' && (
        <p role="alert" className="sk-error">
          Could not ask for a link: {state.error}
        </p>
      )}
    </main>
  );
}
