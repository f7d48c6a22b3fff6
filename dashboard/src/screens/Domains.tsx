import { useState } from 'react';
import type { Domain, E2A } from '@e2a/sdk';
import { ConfirmButton, CopyButton, ErrorNote, LoadedView, Time, useAction, useLoad } from '../ui/screen-kit.js';
import '../ui/dashboard.css';
import './screens.css';

export function DomainsScreen(props: { client: E2A }) {
  const { client } = props;
  const domains = useLoad(() => client.domains.list(), [client]);
  const [name, setName] = useState('');
  const add = useAction();

  return (
    <section className="screen" aria-labelledby="domains-title">
      <h1 id="domains-title">Domains</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add.run(() => client.domains.create({ name: name.trim() })).then((d) => {
            if (!d) return;
            setName('');
            domains.reload();
          });
        }}
      >
        <label>
          Domain name
          <input required minLength={3} value={name} onChange={(e) => setName(e.target.value)} placeholder="agents.example.com" />
        </label>
        <button type="submit" disabled={add.busy}>
          Add domain
        </button>
      </form>
      {add.error && <ErrorNote error={`Could not add the domain: ${add.error}`} />}
      <LoadedView loaded={domains} what="domains" isEmpty={(d) => d.items.length === 0} empty={<p>No domains. Add one above to give agents addresses on it.</p>}>
        {(list) => (
          <ul className="card-list">
            {list.items.map((d) => (
              <li key={d.name} className="card">
                <DomainCard client={client} domain={d} onChanged={domains.reload} />
              </li>
            ))}
          </ul>
        )}
      </LoadedView>
    </section>
  );
}

function DomainCard(props: { client: E2A; domain: Domain; onChanged: () => void }) {
  const { client, domain: d } = props;
  const action = useAction();
  /** The last "Verify now" answer: the ownership record not found (the API says why), or found. */
  const [lastCheck, setLastCheck] = useState<'found' | 'not-found' | null>(null);
  const headingId = `domain-${d.name}`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId} className="mono">
        {d.name}
      </h2>
      <p>
        {d.shared ? (
          'The gateway’s shared domain: every account may create agents on it.'
        ) : d.verified ? (
          <span className="ok">
            Verified <Time at={d.verified_at} />
          </span>
        ) : (
          <span className="warn">Not verified yet: publish the records below, then verify.</span>
        )}
      </p>
      {!d.shared && (
        <div className="actions">
          {!d.verified && (
            <button
              type="button"
              disabled={action.busy}
              onClick={() =>
                void action.run(() => client.domains.verify(d.name)).then((r) => {
                  setLastCheck(r ? 'found' : 'not-found');
                  if (r) props.onChanged();
                })
              }
            >
              Verify now
            </button>
          )}
          <ConfirmButton
            label="Remove"
            question={`Remove ${d.name}? Only a domain without agents can be removed.`}
            confirmLabel={`Remove ${d.name}`}
            disabled={action.busy}
            onConfirm={() => void action.run(() => client.domains.delete(d.name)).then(() => props.onChanged())}
          />
        </div>
      )}
      {action.error && <ErrorNote error={action.error} />}
      {d.dns_records.length > 0 && (
        <table className="data-table dns-records">
          <caption>DNS records to publish for {d.name}</caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Purpose</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {d.dns_records.map((r) => (
              <tr key={`${r.type} ${r.name} ${r.value}`}>
                <td className="mono">{r.type}</td>
                <td>
                  <code className="mono" data-testid="dns-name">
                    {r.name}
                  </code>{' '}
                  <CopyButton text={r.name} label={`Copy the ${r.type} record name ${r.name}`} />
                </td>
                <td>
                  <code className="mono wrap" data-testid="dns-value">
                    {r.value}
                  </code>{' '}
                  <CopyButton text={r.value} label={`Copy the ${r.type} record value for ${r.name}`} />
                </td>
                <td>{r.purpose}</td>
                <td data-testid="dns-status">{recordStatus(d, r.type, r.purpose, lastCheck)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * What the gateway knows about a record. It checks only the ownership TXT record (on "Verify
 * now"); the DKIM and MX records it cannot see being published, so those say "publish".
 */
function recordStatus(d: Domain, type: string, purpose: string, lastCheck: 'found' | 'not-found' | null): string {
  if (d.shared) return 'published by the gateway operator';
  if (!(type === 'TXT' && purpose.startsWith('ownership'))) return 'publish';
  if (d.verified) return 'found';
  return lastCheck === 'not-found' ? 'not found (checked just now)' : 'not checked yet';
}
