import { useState } from 'react';
import type { E2A } from '@e2a/sdk';
import { CopyButton, LoadedView, Time, useLoad } from '../ui/screen-kit.js';
import '../ui/dashboard.css';
import './screens.css';

export function OutboxScreen(props: { client: E2A }) {
  const { client } = props;
  const list = useLoad(() => client.outbox.list({ limit: 50 }), [client]);
  const [open, setOpen] = useState<string | null>(null);

  return (
    <section className="screen" aria-labelledby="outbox-title">
      <h1 id="outbox-title">Outbox</h1>
      <p>Mail the gateway captured instead of sending it (outbound mode “outbox”): agents’ mail, sign-in and review links.</p>
      <button type="button" onClick={list.reload}>
        Refresh
      </button>
      <LoadedView
        loaded={list}
        what="the outbox"
        isEmpty={(d) => d.items.length === 0}
        empty={<p>Nothing captured. Mail appears here when the gateway runs with outbound mode “outbox” (the development default).</p>}
      >
        {(page) => (
          <ul className="card-list">
            {page.items.map((m) => (
              <li key={m.id} className="card">
                <h2>{m.subject || '(no subject)'}</h2>
                <p>
                  From <span className="mono">{m.mail_from}</span> to <span className="mono">{m.recipients.join(', ')}</span> · <Time at={m.created_at} /> ·{' '}
                  {m.source === 'system_mail' ? 'gateway mail' : `sent by ${m.agent_address ?? 'an agent'}`}
                </p>
                <button type="button" aria-expanded={open === m.id} onClick={() => setOpen(open === m.id ? null : m.id)}>
                  {open === m.id ? 'Hide' : 'Show'} “{m.subject || '(no subject)'}”
                </button>
                {open === m.id && <OutboxDetail client={client} id={m.id} />}
              </li>
            ))}
          </ul>
        )}
      </LoadedView>
    </section>
  );
}

function OutboxDetail(props: { client: E2A; id: string }) {
  const mail = useLoad(() => props.client.outbox.get(props.id), [props.client, props.id]);
  return (
    <div className="panel">
      <LoadedView loaded={mail} what="the message">
        {(m) => (
          <>
            {m.links.length > 0 && (
              <>
                <h3>Links</h3>
                <ul className="links">
                  {m.links.map((l) => (
                    <li key={l}>
                      <a href={l} className="mono wrap" rel="noreferrer noopener" target="_blank">
                        {l}
                      </a>{' '}
                      <CopyButton text={l} label={`Copy the link ${l}`} />
                    </li>
                  ))}
                </ul>
              </>
            )}
            <h3>Text</h3>
            <pre className="mono body">{m.text ?? '(no text part)'}</pre>
            <details>
              <summary>Raw message</summary>
              <pre className="mono body">{m.raw}</pre>
            </details>
          </>
        )}
      </LoadedView>
    </div>
  );
}
