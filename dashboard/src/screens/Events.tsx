import { useState } from 'react';
import type { E2A, EventType } from '@e2a/sdk';
import { EVENT_TYPES } from '@e2a/sdk/values';
import { ErrorNote, LoadMore, LoadedView, Time, useLoad, usePaged } from '../ui/screen-kit.js';
import '../ui/dashboard.css';
import './screens.css';

const PAGE = 50;

export function EventsScreen(props: { client: E2A }) {
  const { client } = props;
  const [type, setType] = useState<EventType | ''>('');
  const [agent, setAgent] = useState('');
  const agents = useLoad(() => client.agents.list({ limit: 100 }), [client]);
  const filters = { type: type || undefined, agent_address: agent || undefined };
  const events = usePaged((cursor) => client.events.list({ ...filters, limit: PAGE, cursor }), [client, type, agent]);

  return (
    <section className="screen" aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      <form className="inline-form" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Type
          <select value={type} onChange={(e) => setType(e.target.value as EventType | '')}>
            <option value="">All types</option>
            {EVENT_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Agent
          <select value={agent} onChange={(e) => setAgent(e.target.value)}>
            <option value="">All agents</option>
            {agents.data?.items.map((a) => (
              <option key={a.id}>{a.address}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={events.first.reload}>
          Refresh
        </button>
      </form>
      {agents.state === 'error' && <ErrorNote error={`Could not load the agents for the filter: ${agents.error}`} onRetry={agents.reload} />}
      <LoadedView
        loaded={events.first}
        what="events"
        isEmpty={(d) => d.items.length === 0}
        empty={<p>{type || agent ? 'No events match these filters.' : 'No events yet: mail received, sent, held or blocked shows up here.'}</p>}
      >
        {() => (
          <>
            <table className="data-table">
              <caption className="visually-hidden">Event log</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Type</th>
                  <th scope="col">Agent</th>
                  <th scope="col">From / to</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {events.items.map((ev) => (
                  <tr key={ev.id}>
                    <td>
                      <Time at={ev.created_at} />
                    </td>
                    <td className="mono">{ev.type}</td>
                    <td className="mono">{ev.data.agent_address}</td>
                    {'direction' in ev.data ? (
                      <>
                        <td className="mono">{ev.data.direction === 'inbound' ? ev.data.from ?? '—' : ev.data.to.join(', ')}</td>
                        <td>{ev.data.subject ?? '—'}</td>
                        <td>{ev.data.reason ?? (ev.data.labels ? `labels: ${ev.data.labels.join(', ') || '—'}` : '')}</td>
                      </>
                    ) : 'conversation_id' in ev.data ? (
                      // conversation.labels_changed: the conversation's labels after the change (docs/LABELS.md).
                      <>
                        <td className="mono">—</td>
                        <td>{ev.data.subject ?? '—'}</td>
                        <td>labels: {ev.data.labels.join(', ') || '—'}</td>
                      </>
                    ) : (
                      // agent.expiring / agent.expired: about the agent, not a message.
                      <>
                        <td className="mono">—</td>
                        <td>—</td>
                        <td>expires {ev.data.expires_at}</td>
                      </>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore paged={events} label="Load older events" />
          </>
        )}
      </LoadedView>
    </section>
  );
}
