import { useState } from 'react';
import { paginate, type E2A } from '@e2a/sdk';
import { ConfirmButton, ErrorNote, collect, LoadedView, ShownOnce, Time, useAction, useLoad } from '../ui/screen-kit.js';
import '../ui/dashboard.css';
import './screens.css';

export function KeysScreen(props: { client: E2A }) {
  const { client } = props;
  const keys = useLoad(() => collect(paginate((cursor) => client.apiKeys.list({ cursor, limit: 100 }))), [client]);
  const agents = useLoad(() => client.agents.list({ limit: 100 }), [client]);
  const [name, setName] = useState('');
  const [scope, setScope] = useState('account');
  const [created, setCreated] = useState<string | null>(null);
  const create = useAction();
  const revoke = useAction();

  return (
    <section className="screen" aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const body = scope === 'account' ? { name, scope: 'account' as const } : { name, scope: 'agent' as const, agent_address: scope };
          void create.run(() => client.apiKeys.create(body)).then((k) => {
            if (!k) return;
            setCreated(k.key);
            setName('');
            keys.reload();
          });
        }}
      >
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="ci, support-bot…" />
        </label>
        <label>
          Scope
          <select value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="account">Whole account</option>
            {agents.data?.items.map((a) => (
              <option key={a.id} value={a.address}>
                Only {a.address}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.busy}>
          Create key
        </button>
      </form>
      {agents.state === 'error' && <ErrorNote error={`Could not load the agents for the scope list: ${agents.error}`} onRetry={agents.reload} />}
      {create.error && <ErrorNote error={`Could not create the key: ${create.error}`} />}
      {created && <ShownOnce label="API key" value={created} onDone={() => setCreated(null)} />}
      {revoke.error && <ErrorNote error={`Could not revoke the key: ${revoke.error}`} />}

      <LoadedView loaded={keys} what="API keys" isEmpty={(d) => d.length === 0} empty={<p>No API keys.</p>}>
        {(list) => (
          <table className="data-table">
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key starts with</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td>{k.name || '(unnamed)'}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>{k.scope === 'account' ? 'account' : <span className="mono">{k.agent_address}</span>}</td>
                  <td>
                    <Time at={k.created_at} />
                  </td>
                  <td>
                    <Time at={k.last_used_at} never="never" />
                  </td>
                  <td>
                    {k.revoked_at ? (
                      <>
                        Revoked <Time at={k.revoked_at} />
                      </>
                    ) : (
                      <ConfirmButton
                        label="Revoke"
                        ariaLabel={`Revoke key ${k.name || k.prefix}`}
                        question={`Revoke ${k.name || k.prefix}? Programs using it stop working at once.`}
                        confirmLabel="Revoke now"
                        disabled={revoke.busy}
                        onConfirm={() => void revoke.run(() => client.apiKeys.revoke(k.id)).then(() => keys.reload())}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </LoadedView>
    </section>
  );
}
