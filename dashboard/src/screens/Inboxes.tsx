import { useState } from 'react';
import type { Agent, E2A, Protection } from '@e2a/sdk';
import { GATE_ACTIONS, GATE_POLICIES, SCAN_SENSITIVITIES } from '@e2a/sdk/values';
import { href, useRoute } from '../ui/router.js';
import { ConfirmButton, ErrorNote, LoadMore, LoadedView, Time, collect, splitList, useAction, useLoad, usePaged } from '../ui/screen-kit.js';
import '../ui/dashboard.css';
import './screens.css';

/** The contacts policy is for the inbound gate only (docs/CONTACTS.md). */
const OUTBOUND_POLICIES = GATE_POLICIES.filter((p) => p !== 'contacts');

/** Unread messages counted per agent; more shows as "100+". */
const UNREAD_PAGE = 100;

interface AgentRow extends Agent {
  unread: string;
}

async function loadAgents(client: E2A): Promise<AgentRow[]> {
  const agents = await collect(client.agents.iterate());
  return Promise.all(
    agents.map(async (a) => {
      const page = await client.messages.list(a.address, { unread: true, limit: UNREAD_PAGE });
      return { ...a, unread: page.next_cursor ? `${UNREAD_PAGE}+` : String(page.items.length) };
    }),
  );
}

export function InboxesScreen(props: { client: E2A }) {
  const route = useRoute();
  const address = route.name === 'inboxes' ? route.address : null;
  return address ? <Mailbox key={address} client={props.client} address={address} /> : <InboxList client={props.client} />;
}

function InboxList(props: { client: E2A }) {
  const { client } = props;
  const agents = useLoad(() => loadAgents(client), [client]);
  const [editing, setEditing] = useState<string | null>(null);
  const [localPart, setLocalPart] = useState('');
  const [displayName, setDisplayName] = useState('');
  const create = useAction();
  const remove = useAction();

  return (
    <section className="screen" aria-labelledby="inboxes-title">
      <h1 id="inboxes-title">Inboxes</h1>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const value = localPart.trim();
          const body = value.includes('@') ? { address: value } : { local_part: value };
          void create
            .run(() => client.agents.create({ ...body, display_name: displayName.trim() || null }))
            .then((a) => {
              if (!a) return;
              setLocalPart('');
              setDisplayName('');
              agents.reload();
            });
        }}
      >
        <label>
          Address or name on the shared domain
          <input required value={localPart} onChange={(e) => setLocalPart(e.target.value)} placeholder="bot or bot@example.com" />
        </label>
        <label>
          Display name (optional)
          <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <button type="submit" disabled={create.busy}>
          Create inbox
        </button>
      </form>
      {create.error && <ErrorNote error={`Could not create the inbox: ${create.error}`} />}
      {remove.error && <ErrorNote error={`Could not delete the inbox: ${remove.error}`} />}

      <LoadedView loaded={agents} what="inboxes" isEmpty={(d) => d.length === 0} empty={<p>No inboxes yet. Create one above: mail to its address arrives here.</p>}>
        {(rows) => (
          <table className="data-table">
            <caption className="visually-hidden">Inboxes and their unread mail</caption>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Name</th>
                <th scope="col">Unread</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  <td className="mono">
                    <a href={href.inbox(a.address)}>{a.address}</a>
                  </td>
                  <td>{a.display_name ?? '—'}</td>
                  <td>{a.unread}</td>
                  <td>
                    <Time at={a.created_at} />
                  </td>
                  <td className="actions">
                    <button type="button" aria-expanded={editing === a.address} onClick={() => setEditing(editing === a.address ? null : a.address)}>
                      Protection of {a.address}
                    </button>
                    <ConfirmButton
                      label={`Delete ${a.address}`}
                      question={`Delete ${a.address} and all its mail? It stops working now and is erased when the grace period ends; until then the deletion can be cancelled.`}
                      confirmLabel="Delete"
                      disabled={remove.busy}
                      onConfirm={() =>
                        void remove.run(() => client.agents.delete(a.address, { confirm: a.address })).then(() => {
                          if (editing === a.address) setEditing(null);
                          agents.reload();
                        })
                      }
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </LoadedView>
      {editing && <ProtectionEditor key={editing} client={client} address={editing} />}
    </section>
  );
}

const PAGE = 50;

/** One agent's mail, newest first, each message linking to its full view. */
function Mailbox(props: { client: E2A; address: string }) {
  const { client, address } = props;
  const [unreadOnly, setUnreadOnly] = useState(false);
  const mail = usePaged((cursor) => client.messages.list(address, { limit: PAGE, unread: unreadOnly || undefined, cursor }), [client, address, unreadOnly]);
  return (
    <section className="screen" aria-labelledby="mailbox-title">
      <p>
        <a href="#/inboxes">All inboxes</a>
      </p>
      <h1 id="mailbox-title" className="mono">
        {address}
      </h1>
      <div className="inline-form">
        <label className="check">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => setUnreadOnly(e.target.checked)}
          />
          Unread only
        </label>
        <button type="button" onClick={mail.first.reload}>
          Refresh
        </button>
      </div>
      <LoadedView
        loaded={mail.first}
        what="the mail"
        isEmpty={(p) => p.items.length === 0}
        empty={<p>{unreadOnly ? 'No unread mail.' : `No mail yet. Mail sent to ${address} appears here.`}</p>}
      >
        {() => (
          <>
            <table className="data-table">
              <caption className="visually-hidden">Mail of {address}</caption>
              <thead>
                <tr>
                  <th scope="col">Subject</th>
                  <th scope="col">From / to</th>
                  <th scope="col">Status</th>
                  <th scope="col">Received</th>
                </tr>
              </thead>
              <tbody>
                {mail.items.map((m) => (
                  <tr key={m.id} className={m.read_at ? undefined : 'unread'}>
                    <td>
                      <a href={href.message(address, m.id)}>{m.subject || '(no subject)'}</a>
                      {m.priority === 'urgent' && (
                        <>
                          {' '}
                          <span className="badge badge-bad" title={m.direction === 'inbound' ? 'Marked urgent by the sender (not verified)' : 'Sent as urgent'}>
                            urgent
                          </span>
                        </>
                      )}
                      {!m.read_at && <span className="small"> (unread)</span>}
                    </td>
                    <td className="mono">{m.direction === 'inbound' ? (m.from?.address ?? '—') : `to ${m.to.map((t) => t.address).join(', ')}`}</td>
                    <td>{m.status}</td>
                    <td>
                      <Time at={m.received_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore paged={mail} label="Load older mail" />
          </>
        )}
      </LoadedView>
      <ContactsPanel client={client} address={address} />
    </section>
  );
}

/**
 * The agent's contacts (docs/CONTACTS.md). The dashboard acts as the account, which approves a
 * request made of its agent without the code, and revokes from either side.
 */
function ContactsPanel(props: { client: E2A; address: string }) {
  const { client, address } = props;
  const contacts = useLoad(() => client.contacts.list(address), [client, address]);
  const act = useAction();
  const run = (action: () => Promise<unknown>) => void act.run(action).then(() => contacts.reload());
  return (
    <section className="panel" aria-labelledby="contacts-title">
      <h2 id="contacts-title">Contacts</h2>
      {act.error && <ErrorNote error={act.error} />}
      <LoadedView loaded={contacts} what="the contacts" isEmpty={(l) => l.items.length === 0} empty={<p>No contacts yet.</p>}>
        {(l) => (
          <table className="data-table">
            <caption className="visually-hidden">Contacts of {address}</caption>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Direction</th>
                <th scope="col">State</th>
                <th scope="col">Note</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {l.items.map((c) => (
                <tr key={c.id}>
                  <td className="mono">{c.peer_address}</td>
                  <td>{c.direction}</td>
                  <td>{c.state}</td>
                  <td>{c.note ?? ''}</td>
                  <td>
                    {c.state === 'pending' && c.direction === 'incoming' && (
                      <button type="button" disabled={act.busy} aria-label={`Approve contact with ${c.peer_address}`} onClick={() => run(() => client.contacts.approve(address, c.id))}>
                        Approve
                      </button>
                    )}{' '}
                    {(c.state === 'pending' || c.state === 'active') && (
                      <button type="button" disabled={act.busy} aria-label={`Revoke contact with ${c.peer_address}`} onClick={() => run(() => client.contacts.revoke(address, c.id))}>
                        Revoke
                      </button>
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

/** The agent's protection as the API stores it: saving PUTs, then shows what a fresh GET returns. */
function ProtectionEditor(props: { client: E2A; address: string }) {
  const { client, address } = props;
  const stored = useLoad(() => client.agents.getProtection(address), [client, address]);
  // Here, not in the form: the form is rebuilt from each fresh GET, and the note must survive that.
  const [saved, setSaved] = useState(false);
  return (
    <section className="panel" aria-labelledby="protection-title">
      <h2 id="protection-title">Protection of {address}</h2>
      <LoadedView loaded={stored} what="the protection settings">
        {(p) => (
          <ProtectionForm
            key={JSON.stringify(p)}
            client={client}
            address={address}
            stored={p}
            saved={saved}
            onEdit={() => setSaved(false)}
            onSaved={() => {
              setSaved(true);
              stored.reload();
            }}
          />
        )}
      </LoadedView>
    </section>
  );
}

function ProtectionForm(props: { client: E2A; address: string; stored: Protection; saved: boolean; onEdit: () => void; onSaved: () => void }) {
  const { stored } = props;
  const [draft, setDraft] = useState(() => toDraft(stored));
  const save = useAction();
  const set = (patch: Partial<Draft>) => {
    props.onEdit();
    setDraft((d) => ({ ...d, ...patch }));
  };

  return (
    <form
      className="protection-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save
          .run(async () => {
            await props.client.agents.setProtection(props.address, fromDraft(draft));
            return true;
          })
          .then((ok) => ok && props.onSaved());
      }}
    >
      {(['inbound', 'outbound'] as const).map((dir) => (
        <fieldset key={dir}>
          <legend>{dir === 'inbound' ? 'Inbound gate (mail to the agent)' : 'Outbound gate (mail the agent sends)'}</legend>
          <Choice label="Policy" options={dir === 'inbound' ? GATE_POLICIES : OUTBOUND_POLICIES} value={draft[`${dir}Policy`]} onChange={(v) => set({ [`${dir}Policy`]: v } as Partial<Draft>)} />
          <label>
            Allowlist (addresses or @domains, one a line)
            <textarea rows={3} value={draft[`${dir}Allowlist`]} onChange={(e) => set({ [`${dir}Allowlist`]: e.target.value } as Partial<Draft>)} />
          </label>
          <Choice label="Action for mail that does not pass" options={GATE_ACTIONS} value={draft[`${dir}Action`]} onChange={(v) => set({ [`${dir}Action`]: v } as Partial<Draft>)} />
        </fieldset>
      ))}
      <fieldset>
        <legend>Content scan (prompt injection, secrets)</legend>
        <Choice label="Sensitivity" options={SCAN_SENSITIVITIES} value={draft.scanSensitivity} onChange={(v) => set({ scanSensitivity: v })} />
        <Choice label="Action on a finding" options={GATE_ACTIONS} value={draft.scanAction} onChange={(v) => set({ scanAction: v })} />
      </fieldset>
      <fieldset>
        <legend>Holds (mail waiting for review)</legend>
        <label>
          Hold for (seconds, 60 to 2592000)
          <input type="number" min={60} max={2592000} required value={draft.holdTtl} onChange={(e) => set({ holdTtl: e.target.value })} />
        </label>
        <label>
          When a hold expires
          <select value={draft.holdExpiry} onChange={(e) => set({ holdExpiry: e.target.value })}>
            <option>reject</option>
            <option>approve</option>
          </select>
        </label>
      </fieldset>
      <fieldset>
        <legend>Reviewers</legend>
        <label>
          Reviewer addresses (one a line; none means the account owner)
          <textarea rows={2} value={draft.reviewers} onChange={(e) => set({ reviewers: e.target.value })} />
        </label>
      </fieldset>
      <button type="submit" disabled={save.busy}>
        Save protection
      </button>
      {save.error && <ErrorNote error={`Not saved: ${save.error}`} />}
      {props.saved && (
        <p role="status" className="ok">
          Saved. The form shows what the gateway stored.
        </p>
      )}
      <details>
        <summary>Stored settings (JSON)</summary>
        <pre className="mono" data-testid="protection-stored">
          {JSON.stringify(stored, null, 2)}
        </pre>
      </details>
    </form>
  );
}

/** A labelled select of one of `options`. */
function Choice(props: { label: string; options: readonly string[]; value: string; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}

interface Draft {
  inboundPolicy: string;
  inboundAllowlist: string;
  inboundAction: string;
  outboundPolicy: string;
  outboundAllowlist: string;
  outboundAction: string;
  scanSensitivity: string;
  scanAction: string;
  holdTtl: string;
  holdExpiry: string;
  reviewers: string;
}

function toDraft(p: Protection): Draft {
  return {
    inboundPolicy: p.inbound.policy,
    inboundAllowlist: p.inbound.allowlist.join('\n'),
    inboundAction: p.inbound.action,
    outboundPolicy: p.outbound.policy,
    outboundAllowlist: p.outbound.allowlist.join('\n'),
    outboundAction: p.outbound.action,
    scanSensitivity: p.content_scan.sensitivity,
    scanAction: p.content_scan.action,
    holdTtl: String(p.holds.ttl_seconds),
    holdExpiry: p.holds.on_expiry,
    reviewers: p.review_notify.join('\n'),
  };
}

function fromDraft(d: Draft): Protection {
  return {
    inbound: { policy: d.inboundPolicy as Protection['inbound']['policy'], allowlist: splitList(d.inboundAllowlist), action: d.inboundAction as Protection['inbound']['action'] },
    outbound: { policy: d.outboundPolicy as Protection['outbound']['policy'], allowlist: splitList(d.outboundAllowlist), action: d.outboundAction as Protection['outbound']['action'] },
    content_scan: { sensitivity: d.scanSensitivity as Protection['content_scan']['sensitivity'], action: d.scanAction as Protection['content_scan']['action'] },
    holds: { ttl_seconds: Number(d.holdTtl), on_expiry: d.holdExpiry as Protection['holds']['on_expiry'] },
    review_notify: splitList(d.reviewers),
  };
}
