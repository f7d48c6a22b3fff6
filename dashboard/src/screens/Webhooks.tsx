import { useState } from 'react';
import { paginate, type E2A, type EventType, type Webhook, type WebhookDelivery, type WebhookTestResult } from '@e2a/sdk';
import { EVENT_TYPES } from '@e2a/sdk/values';
import { ConfirmButton, ErrorNote, collect, LoadedView, ShownOnce, Time, useAction, useLoad } from '../ui/screen-kit.js';
import '../ui/dashboard.css';
import './screens.css';

export function WebhooksScreen(props: { client: E2A }) {
  const { client } = props;
  const hooks = useLoad(() => collect(paginate((cursor) => client.webhooks.list({ cursor, limit: 100 }))), [client]);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<EventType[]>([]);
  const [secret, setSecret] = useState<{ id: string; value: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const create = useAction();

  return (
    <section className="screen" aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <form
        className="stack-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run(() => client.webhooks.create({ url: url.trim(), description, events })).then((w) => {
            if (!w) return;
            setSecret({ id: w.id, value: w.secret });
            setUrl('');
            setDescription('');
            setEvents([]);
            hooks.reload();
          });
        }}
      >
        <label>
          Endpoint URL
          <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/e2a" />
        </label>
        <label>
          Description (optional)
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <fieldset>
          <legend>Events (none ticked: all)</legend>
          {EVENT_TYPES.map((t) => (
            <label key={t} className="check">
              <input
                type="checkbox"
                checked={events.includes(t)}
                onChange={(e) => setEvents(e.target.checked ? [...events, t] : events.filter((x) => x !== t))}
              />
              {t}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={create.busy}>
          Create webhook
        </button>
      </form>
      {create.error && <ErrorNote error={`Could not create the webhook: ${create.error}`} />}
      {secret && <ShownOnce label="Signing secret" value={secret.value} onDone={() => setSecret(null)} />}

      <LoadedView loaded={hooks} what="webhooks" isEmpty={(d) => d.length === 0} empty={<p>No webhooks yet. Add an endpoint above to receive events as signed HTTP POSTs.</p>}>
        {(list) => (
          <ul className="card-list">
            {list.map((w) => (
              <li key={w.id} className="card">
                <WebhookCard
                  client={client}
                  webhook={w}
                  open={open === w.id}
                  onToggle={() => setOpen(open === w.id ? null : w.id)}
                  onSecret={(value) => setSecret({ id: w.id, value })}
                  onChanged={hooks.reload}
                />
              </li>
            ))}
          </ul>
        )}
      </LoadedView>
    </section>
  );
}

function WebhookCard(props: { client: E2A; webhook: Webhook; open: boolean; onToggle: () => void; onSecret: (s: string) => void; onChanged: () => void }) {
  const { client, webhook: w } = props;
  const action = useAction();
  const [test, setTest] = useState<WebhookTestResult | null>(null);
  return (
    <>
      <h2 className="mono">{w.url}</h2>
      {w.description && <p>{w.description}</p>}
      <p>
        Events: {w.events.length ? w.events.join(', ') : 'all'} · Last success: <Time at={w.last_success_at} never="never" />
        {w.failing_since && (
          <>
            {' '}
            · <span className="warn">Failing since <Time at={w.failing_since} /></span>
          </>
        )}
      </p>
      {!w.enabled && (
        <div className="notice" role="note">
          <strong>Disabled.</strong>{' '}
          {w.disabled_reason
            ? `The gateway disabled it: ${w.disabled_reason}. Fix the endpoint, then enable it again; deliveries that died meanwhile can be replayed below.`
            : 'It was disabled by hand; no events are sent to it until it is enabled.'}
        </div>
      )}
      <div className="actions">
        <button type="button" aria-expanded={props.open} onClick={props.onToggle}>
          Deliveries
        </button>
        <button type="button" disabled={action.busy} onClick={() => void action.run(() => client.webhooks.test(w.id)).then((r) => r && setTest(r))}>
          Send test event
        </button>
        <ConfirmButton
          label="Rotate secret"
          question="Rotate the signing secret? The old one keeps signing beside the new one for 24 hours."
          confirmLabel="Rotate"
          disabled={action.busy}
          onConfirm={() => void action.run(() => client.webhooks.rotateSecret(w.id)).then((r) => r && props.onSecret(r.secret))}
        />
        <button type="button" disabled={action.busy} onClick={() => void action.run(() => client.webhooks.update(w.id, { enabled: !w.enabled })).then((r) => r && props.onChanged())}>
          {w.enabled ? 'Disable' : 'Enable'}
        </button>
        <ConfirmButton
          label="Delete"
          question={`Delete the webhook to ${w.url}? This cannot be undone.`}
          confirmLabel="Delete webhook"
          disabled={action.busy}
          onConfirm={() => void action.run(() => client.webhooks.delete(w.id)).then(() => props.onChanged())}
        />
      </div>
      {action.error && <ErrorNote error={action.error} />}
      {test && (
        <p role="status" className={test.success ? 'ok' : 'warn'}>
          Test event {test.success ? 'accepted' : 'failed'}: {test.status !== null ? `HTTP ${test.status}` : 'no response'}
          {test.error ? ` (${test.error})` : ''}
        </p>
      )}
      {props.open && <Deliveries client={client} webhookId={w.id} />}
    </>
  );
}

function Deliveries(props: { client: E2A; webhookId: string }) {
  const { client, webhookId } = props;
  const deliveries = useLoad(() => client.webhooks.deliveries(webhookId, { limit: 50 }), [client, webhookId]);
  const replay = useAction();
  const [replayed, setReplayed] = useState<string | null>(null);
  const replayEvent = (id: string) =>
    void replay.run(() => client.events.redeliver(id)).then((r) => {
      if (!r) return;
      setReplayed('Queued 1 event again.');
      deliveries.reload();
    });
  // One request whatever the count: the server requeues every dead delivery, listed here or not.
  const replayDead = () =>
    void replay.run(() => client.webhooks.replayDeliveries(webhookId, { status: 'dead' })).then((r) => {
      if (!r) return;
      setReplayed(r.replayed === 0 ? 'No dead deliveries to replay.' : `Queued ${r.replayed} dead deliver${r.replayed === 1 ? 'y' : 'ies'} again.`);
      deliveries.reload();
    });

  return (
    <section className="panel" aria-label="Deliveries">
      <LoadedView
        loaded={deliveries}
        what="deliveries"
        isEmpty={(d) => d.items.length === 0}
        empty={<p>No deliveries yet: events matching this webhook are listed here once they are sent.</p>}
      >
        {(page) => {
          const dead = page.items.filter((d) => d.status === 'dead').length;
          // Only the latest 50 are listed: with more, there may be dead ones beyond them.
          const more = page.next_cursor !== null;
          return (
            <>
              <div className="actions">
                <button type="button" onClick={deliveries.reload}>
                  Refresh
                </button>
                <button type="button" disabled={replay.busy || (dead === 0 && !more)} onClick={replayDead}>
                  {`Replay all dead (${dead}${more ? '+' : ''})`}
                </button>
              </div>
              <table className="data-table">
                <caption className="visually-hidden">Deliveries</caption>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Status</th>
                    <th scope="col">Response</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Last error</th>
                    <th scope="col">Response body</th>
                    <th scope="col">Created</th>
                    <th scope="col">Replay</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((d) => (
                    <DeliveryRow key={d.id} d={d} busy={replay.busy} onReplay={() => replayEvent(d.event_id)} />
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </LoadedView>
      {replay.error && <ErrorNote error={`Replay failed: ${replay.error}`} />}
      {replayed && (
        <p role="status" className="ok">
          {replayed}
        </p>
      )}
    </section>
  );
}

/**
 * The receiver's words, as text: React escapes them, and <pre> keeps their lines. Collapsed, so a
 * table of error pages stays a table.
 */
function ResponseExcerpt(props: { text: string | null }) {
  const { text } = props;
  if (!text?.trim()) return <>—</>;
  const firstLine = Array.from(text.trim().split('\n', 1)[0]!);
  return (
    <details className="response-excerpt">
      <summary>{firstLine.length > 40 ? `${firstLine.slice(0, 40).join('')}…` : firstLine.join('')}</summary>
      <pre>{text}</pre>
    </details>
  );
}

function DeliveryRow(props: { d: WebhookDelivery; busy: boolean; onReplay: () => void }) {
  const { d } = props;
  return (
    <tr data-delivery-status={d.status}>
      <td>
        <span className="mono">{d.event_type}</span>
        <br />
        <span className="mono small">{d.event_id}</span>
      </td>
      <td>
        <span className={`badge badge-${d.status}`}>{d.status}</span>
        {d.status === 'pending' && d.next_attempt_at && (
          <>
            <br />
            next try <Time at={d.next_attempt_at} />
          </>
        )}
      </td>
      <td>
        {d.last_status !== null ? `HTTP ${d.last_status}` : d.last_latency_ms !== null ? 'no response' : '—'}
        {d.last_latency_ms !== null && (
          <>
            <br />
            <span className="small">{d.last_latency_ms} ms</span>
          </>
        )}
      </td>
      <td>{d.attempts}</td>
      <td className="excerpt">{d.last_error ?? '—'}</td>
      <td className="excerpt">
        <ResponseExcerpt text={d.last_response_excerpt} />
      </td>
      <td>
        <Time at={d.created_at} />
      </td>
      <td>
        <button type="button" disabled={props.busy} onClick={props.onReplay} aria-label={`Replay event ${d.event_id}`}>
          Replay
        </button>
      </td>
    </tr>
  );
}
