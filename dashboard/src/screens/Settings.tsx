import { NotFoundError, type DashboardSession, type E2A } from '@e2a/sdk';
import { ConfirmButton, ErrorNote, LoadedView, Time, useAction, useLoad } from '../ui/screen-kit.js';
import '../ui/dashboard.css';
import './screens.css';

/** The account's browser sessions; null when this gateway has no session list. */
async function listSessions(client: E2A): Promise<DashboardSession[] | null> {
  try {
    return (await client.sessions.list()).items;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

export function SettingsScreen(props: { client: E2A }) {
  const { client } = props;
  const info = useLoad(() => client.info(), [client]);
  const sessions = useLoad(() => listSessions(client), [client]);
  const action = useAction();

  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <section className="panel" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <LoadedView loaded={info} what="the account">
          {(i) => (
            <dl className="facts">
              <dt>Email</dt>
              <dd className="mono" data-testid="account-email">
                {i.auth?.email ?? '—'}
              </dd>
              <dt>Gateway</dt>
              <dd className="mono">
                {i.public_url} (version {i.version})
              </dd>
              <dt>Shared domain</dt>
              <dd className="mono">{i.shared_domain}</dd>
              <dt>Reviewers</dt>
              <dd>
                Held mail goes to the account email unless an inbox names its own reviewers: set them per inbox under{' '}
                <a href="#/inboxes">Inboxes</a> (Protection → Reviewers).
              </dd>
            </dl>
          )}
        </LoadedView>
      </section>

      <section className="panel" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Signed-in browsers</h2>
        <LoadedView
          loaded={sessions}
          what="the sessions"
          isEmpty={(s) => s === null || s.length === 0}
          empty={<p>No browser sessions are listed by this gateway.</p>}
        >
          {(list) => (
            <>
              <table className="data-table">
                <caption className="visually-hidden">Signed-in browsers</caption>
                <thead>
                  <tr>
                    <th scope="col">Browser</th>
                    <th scope="col">Signed in</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {(list ?? []).map((s) => (
                    <tr key={s.id}>
                      <td>
                        {s.user_agent ?? 'unknown browser'}
                        {s.current && <strong> (this browser)</strong>}
                      </td>
                      <td>
                        <Time at={s.created_at} />
                      </td>
                      <td>
                        <Time at={s.last_used_at} never="never" />
                      </td>
                      <td>
                        <Time at={s.expires_at} />
                      </td>
                      <td>
                        {!s.current && (
                          <button type="button" disabled={action.busy} onClick={() => void action.run(() => client.sessions.revoke(s.id)).then(() => sessions.reload())}>
                            Sign out this browser
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p>
                <ConfirmButton
                  label="Sign out everywhere"
                  question="Sign out every browser, this one included?"
                  confirmLabel="Sign out all browsers"
                  disabled={action.busy}
                  onConfirm={() => void action.run(() => client.sessions.revokeAll()).then(() => location.reload())}
                />
              </p>
            </>
          )}
        </LoadedView>
        {action.error && <ErrorNote error={action.error} />}
      </section>
    </section>
  );
}
