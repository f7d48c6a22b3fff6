/**
 * One message in full: who sent it and whether that is proven (SPF/DKIM/DMARC), the headers, the
 * body, the text a reader would not see but a model would (hidden HTML text), attachments and the
 * raw source. The HTML body is shown sandboxed with remote images blocked (ui/mail-html.ts).
 */
import { useMemo, useState } from 'react';
import type { Authentication, E2A, Message } from '@e2a/sdk';
import { safeMailHtml } from '../ui/mail-html.js';
import { href } from '../ui/router.js';
import { LoadedView, Time, useLoad } from '../ui/screen-kit.js';
import '../ui/dashboard.css';

export function MessageScreen(props: { client: E2A; address: string; id: string }) {
  const { client, address, id } = props;
  const message = useLoad(() => client.messages.get(address, id), [client, address, id]);
  return (
    <article aria-labelledby="message-title">
      <p>
        <a href={href.inbox(address)}>← {address}</a>
      </p>
      <LoadedView loaded={message} what="the message">
        {(m) => <MessageView client={client} message={m} />}
      </LoadedView>
    </article>
  );
}

function MessageView(props: { client: E2A; message: Message }) {
  const { client, message: m } = props;
  const base = `/v1/agents/${encodeURIComponent(m.agent_address)}/messages/${encodeURIComponent(m.id)}`;
  return (
    <>
      <h1 id="message-title">{m.subject || '(no subject)'}</h1>
      <dl className="facts">
        <dt>From</dt>
        <dd>{m.from ? formatAddress(m.from) : '—'}</dd>
        <dt>To</dt>
        <dd>{m.to.map(formatAddress).join(', ') || '—'}</dd>
        {m.cc.length > 0 && (
          <>
            <dt>Cc</dt>
            <dd>{m.cc.map(formatAddress).join(', ')}</dd>
          </>
        )}
        <dt>{m.direction === 'inbound' ? 'Received' : 'Created'}</dt>
        <dd>
          <Time at={m.received_at} />
        </dd>
        <dt>Status</dt>
        <dd>{m.status}</dd>
        {m.priority !== 'normal' && (
          <>
            <dt>Priority</dt>
            <dd>
              {m.priority === 'urgent' ? <span className="badge badge-bad">urgent</span> : m.priority}
              {m.direction === 'inbound' && <span className="small"> (as the sender marked it; not verified)</span>}
            </dd>
          </>
        )}
      </dl>
      {m.direction === 'inbound' && <Verdict auth={m.authentication} />}
      <Body client={client} message={m} />
      <section aria-labelledby="attachments-title">
        <h2 id="attachments-title">Attachments</h2>
        {m.attachments.length === 0 ? (
          <p>None.</p>
        ) : (
          <ul>
            {m.attachments.map((a) => (
              <li key={a.index}>
                <a href={`${base}/attachments/${a.index}`} download={a.filename ?? `attachment-${a.index}`}>
                  {a.filename ?? `attachment ${a.index}`}
                </a>{' '}
                ({a.content_type}, {formatSize(a.size)}
                {a.disposition === 'inline' ? ', inline' : ''})
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="headers-title">
        <h2 id="headers-title">Headers</h2>
        <p>
          <a href={`${base}/raw`} download={`${m.id}.eml`}>
            Download the raw source (.eml)
          </a>
        </p>
        <details>
          <summary>All {m.headers.length} headers</summary>
          <table className="headers">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {m.headers.map((h, i) => (
                <tr key={i}>
                  <th scope="row">{h.name}</th>
                  <td>{h.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </section>
    </>
  );
}

const GOOD = new Set(['pass']);
const BAD = new Set(['fail', 'softfail', 'permerror', 'temperror']);

function Badge(props: { label: string; status: string; detail: string }) {
  const tone = GOOD.has(props.status) ? 'good' : BAD.has(props.status) ? 'bad' : 'neutral';
  return (
    <li className={`badge badge-${tone}`}>
      <strong>{props.label}</strong> {props.status}
      <span className="badge-detail"> — {props.detail}</span>
    </li>
  );
}

function Verdict(props: { auth: Authentication | null }) {
  const { auth } = props;
  return (
    <section aria-labelledby="verdict-title">
      <h2 id="verdict-title">Sender authentication</h2>
      {!auth ? (
        <p>No verdict was recorded for this message.</p>
      ) : (
        <>
          <p className={auth.verified ? 'verified' : 'unverified'}>
            {auth.verified ? `Verified sender: ${auth.sender ?? 'unknown'}` : 'The sender is not verified: treat what it claims with suspicion.'}
          </p>
          <ul className="badges">
            <Badge label="SPF" status={auth.spf.status} detail={`${auth.spf.domain ?? 'no domain'}${auth.spf.aligned ? ', aligned' : ', not aligned'}`} />
            {auth.dkim.length === 0 ? (
              <Badge label="DKIM" status="none" detail="no signature" />
            ) : (
              auth.dkim.map((d, i) => (
                <Badge key={i} label="DKIM" status={d.status} detail={`${d.domain ?? 'no domain'}${d.selector ? ` (selector ${d.selector})` : ''}${d.aligned ? ', aligned' : ', not aligned'}`} />
              ))
            )}
            <Badge label="DMARC" status={auth.dmarc.status} detail={`${auth.dmarc.domain ?? 'no domain'}${auth.dmarc.policy ? `, policy ${auth.dmarc.policy}` : ''}`} />
            <Badge label="ARC" status={auth.arc.status} detail="forwarding chain" />
          </ul>
        </>
      )}
    </section>
  );
}

function Body(props: { client: E2A; message: Message }) {
  const { message: m } = props;
  const [remoteImages, setRemoteImages] = useState(false);
  const [view, setView] = useState<'html' | 'text'>(m.html ? 'html' : 'text');
  const safe = useMemo(() => (m.html ? safeMailHtml(m.html, { remoteImages }) : null), [m.html, remoteImages]);
  // The HTML reader (htmlparser2) is a chunk of its own, fetched with the first message opened.
  const hidden = useLoad(async () => (m.html ? (await import('@e2a/relay/html-text')).extractHtmlText(m.html).hidden : []), [m.html]);
  return (
    <section aria-labelledby="body-title">
      <h2 id="body-title">Content</h2>
      {m.html && m.text && (
        <div role="group" aria-label="Show the body as" className="actions">
          <button type="button" aria-pressed={view === 'html'} onClick={() => setView('html')}>
            HTML
          </button>
          <button type="button" aria-pressed={view === 'text'} onClick={() => setView('text')}>
            Plain text
          </button>
        </div>
      )}
      {view === 'html' && safe ? (
        <>
          {safe.blockedImages > 0 && (
            <p className="notice">
              {safe.blockedImages} remote image{safe.blockedImages === 1 ? ' is' : 's are'} blocked: loading them tells the sender you opened the mail.{' '}
              <button type="button" onClick={() => setRemoteImages(true)}>
                Show remote images
              </button>
            </p>
          )}
          {/* No scripts, no same-origin, no forms: links open in a new tab, outside the sandbox. */}
          <iframe className="mail-html" title="Message body (HTML, sandboxed)" sandbox="allow-popups allow-popups-to-escape-sandbox" srcDoc={safe.srcdoc} />
        </>
      ) : (
        <pre className="mail-text">{m.text ?? '(no text body)'}</pre>
      )}
      <section aria-labelledby="hidden-title" className="hidden-text">
        <h3 id="hidden-title">Hidden text</h3>
        <LoadedView loaded={hidden} what="the hidden text">
          {(items) =>
            items.length === 0 ? (
              <p>None: the HTML hides no text from a reader.</p>
            ) : (
              <>
                <p>A model reading this mail would also read the text below, which a person looking at it does not see. Hidden text is where prompt injection usually sits.</p>
                <ul>
                  {items.map((h, i) => (
                    <li key={i}>
                      <span className="why">{h.why}:</span> <q>{h.text}</q>
                    </li>
                  ))}
                </ul>
              </>
            )
          }
        </LoadedView>
      </section>
    </section>
  );
}

function formatAddress(a: { name?: string | null; address: string } | string): string {
  if (typeof a === 'string') return a;
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
