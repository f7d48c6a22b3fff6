/**
 * The review queue: mail the protection rules held, inbound and outbound, waiting for a person.
 * Each item shows why it was held, who it is for, when a scheduled send goes out if approved, when
 * it decides itself (and which way), and its content; it can be approved, rejected, or (outbound) edited and then approved, one at a time or in
 * bulk. The queue shows a page at a time and refreshes the page in view every few seconds: reviews
 * are account events, and the live WebSocket is per agent (held mail is invisible to agents), so the
 * queue polls the reviews API.
 */
import { useEffect, useState } from 'react';
import type { E2A, Review, ReviewPage } from '@e2a/sdk';
import { href } from '../ui/router.js';
import { ErrorNote, LoadedView, errorText, useAction, useLoad } from '../ui/screen-kit.js';
import '../ui/dashboard.css';

/** How often the queue asks for new holds. */
export const REVIEW_POLL_MS = 3000;
/** Reviews on one page of the queue: a page the reviewer can read through, cheap to poll. */
export const REVIEW_PAGE_SIZE = 50;

interface QueuePage {
  /** The cursor this page was asked with (undefined: the first page). */
  cursor: string | undefined;
  page: ReviewPage;
  /** Every pending review of the account, not only this page's. */
  pending: number;
}

async function loadPage(client: E2A, cursor: string | undefined): Promise<QueuePage> {
  const [page, count] = await Promise.all([
    client.reviews.list({ status: 'pending', limit: REVIEW_PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    client.reviews.count(),
  ]);
  return { cursor, page, pending: count.pending };
}

/**
 * One page of the pending reviews, newest first (the API's order), with the count of all of them.
 * Pages follow the API's cursor (keyset), so a page stays put while new holds arrive on the first;
 * the poll refreshes only the page in view and the count.
 */
export function ReviewsScreen(props: { client: E2A; onPending?: (n: number) => void }) {
  const { client, onPending } = props;
  // The cursor of every page from the first (none) to the one in view: "Previous page" pops one.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const pageNumber = cursors.length;
  const reviews = useLoad(() => loadPage(client, cursor), [client, cursor]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [announce, setAnnounce] = useState('');
  const bulk = useAction();
  const shown = reviews.data;
  // The page on screen is an older one while the next or previous loads: no paging or selecting on it.
  const switching = shown !== undefined && shown.cursor !== cursor;

  useEffect(() => {
    const timer = setInterval(reviews.reload, REVIEW_POLL_MS);
    return () => clearInterval(timer);
  }, [reviews.reload]);
  const pending = reviews.state === 'ready' ? reviews.data.pending : -1;
  useEffect(() => {
    if (pending >= 0) onPending?.(pending);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pending]);
  // Everything on a later page was decided: step back rather than show an empty page.
  const emptiedLaterPage = reviews.state === 'ready' && !switching && pageNumber > 1 && reviews.data.page.items.length === 0;
  useEffect(() => {
    if (emptiedLaterPage) setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c));
  }, [emptiedLaterPage]);

  const goTo = (next: Array<string | undefined>) => {
    setSelected(new Set());
    setCursors(next);
  };
  const pageIds = new Set(shown?.page.items.map((r) => r.id) ?? []);
  const chosen = [...selected].filter((id) => pageIds.has(id));
  const decided = (what: string) => {
    setAnnounce(what);
    reviews.reload();
  };
  const decideAll = (action: 'approve' | 'reject') =>
    bulk.run(async () => {
      const results = await Promise.allSettled(chosen.map((id) => (action === 'approve' ? client.reviews.approve(id) : client.reviews.reject(id))));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      setSelected(new Set());
      decided(`${action === 'approve' ? 'Approved' : 'Rejected'} ${results.length - failed.length} of ${results.length}.`);
      if (failed.length > 0) throw new Error(`${failed.length} could not be decided: ${errorText(failed[0]!.reason)}`);
    });

  return (
    <section aria-labelledby="reviews-title">
      <h1 id="reviews-title">Review queue</h1>
      <p className="hint">
        Held mail waits here for a decision, newest first, {REVIEW_PAGE_SIZE} to a page. New holds appear on the first page on their own (checked every {REVIEW_POLL_MS / 1000} s).
      </p>
      <p role="status" aria-live="polite" className="announce">
        {announce}
      </p>
      <LoadedView
        loaded={reviews}
        what="the review queue"
        isEmpty={(d) => d.page.items.length === 0 && pageNumber === 1}
        empty={<p>Nothing is held. Mail the protection rules hold for review shows up here.</p>}
      >
        {({ page, pending: total }) => {
          const items = page.items;
          const first = (pageNumber - 1) * REVIEW_PAGE_SIZE + 1;
          return (
            <>
              <div className="bulk" role="group" aria-label="Decide the selected items">
                <label>
                  <input
                    type="checkbox"
                    disabled={switching}
                    checked={items.length > 0 && chosen.length === items.length}
                    onChange={(e) => setSelected(e.target.checked ? new Set(items.map((r) => r.id)) : new Set())}
                  />{' '}
                  Select all on this page ({items.length})
                </label>
                <button type="button" disabled={chosen.length === 0 || bulk.busy} onClick={() => decideAll('approve')}>
                  Approve selected ({chosen.length})
                </button>
                <button type="button" disabled={chosen.length === 0 || bulk.busy} onClick={() => decideAll('reject')}>
                  Reject selected ({chosen.length})
                </button>
                {bulk.error && <ErrorNote error={bulk.error} />}
              </div>
              <Pager
                label="Review queue pages"
                status={items.length > 0 ? `Page ${pageNumber}: ${first}–${first + items.length - 1} of ${total} held` : `Page ${pageNumber} of ${total} held`}
                busy={switching}
                onPrevious={pageNumber > 1 ? () => goTo(cursors.slice(0, -1)) : null}
                onNext={page.next_cursor ? () => goTo([...cursors, page.next_cursor ?? undefined]) : null}
              />
              <ul className="review-list" aria-busy={switching}>
                {items.map((review) => (
                  <li key={review.id}>
                    <ReviewItem
                      client={client}
                      review={review}
                      selected={selected.has(review.id)}
                      onSelect={(on) =>
                        setSelected((s) => {
                          const next = new Set(s);
                          if (on) next.add(review.id);
                          else next.delete(review.id);
                          return next;
                        })
                      }
                      onDecided={decided}
                    />
                  </li>
                ))}
              </ul>
              {page.next_cursor || pageNumber > 1 ? (
                <Pager label="Review queue pages, end of the list" busy={switching} onPrevious={pageNumber > 1 ? () => goTo(cursors.slice(0, -1)) : null} onNext={page.next_cursor ? () => goTo([...cursors, page.next_cursor ?? undefined]) : null} />
              ) : null}
            </>
          );
        }}
      </LoadedView>
    </section>
  );
}

/** Previous/next page buttons (absent ones disabled) and where the reader is. */
function Pager(props: { label: string; status?: string; busy: boolean; onPrevious: (() => void) | null; onNext: (() => void) | null }) {
  return (
    <nav className="pager" aria-label={props.label}>
      <button type="button" disabled={props.busy || !props.onPrevious} onClick={props.onPrevious ?? undefined}>
        Previous page
      </button>
      {props.status && (
        <span className="pager-status" aria-live="polite">
          {props.status}
        </span>
      )}
      <button type="button" disabled={props.busy || !props.onNext} onClick={props.onNext ?? undefined}>
        Next page
      </button>
    </nav>
  );
}

function ReviewItem(props: { client: E2A; review: Review; selected: boolean; onSelect: (on: boolean) => void; onDecided: (what: string) => void }) {
  const { client, review } = props;
  const action = useAction();
  const [editing, setEditing] = useState(false);
  const [reason, setReason] = useState('');
  const titleId = `review-${review.id}`;
  const subject = review.subject || '(no subject)';
  return (
    <article className="review" aria-labelledby={titleId} data-review-id={review.id}>
      <header className="review-head">
        <input type="checkbox" aria-label={`Select “${subject}”`} checked={props.selected} onChange={(e) => props.onSelect(e.target.checked)} />
        <h2 id={titleId}>
          <span className={`direction direction-${review.direction}`}>{review.direction === 'inbound' ? 'Inbound' : 'Outbound'}</span> {subject}
        </h2>
      </header>
      <dl className="facts">
        <dt>Agent</dt>
        <dd>{review.agent_address}</dd>
        <dt>From</dt>
        <dd>{review.from ?? '—'}</dd>
        <dt>To</dt>
        <dd>{review.to.join(', ') || '—'}</dd>
        {review.send_at && (
          <>
            <dt>Scheduled for</dt>
            <dd>
              <ScheduledFor sendAt={review.send_at} />
            </dd>
          </>
        )}
        <dt>Decides itself</dt>
        <dd>
          <Countdown until={review.expires_at} /> then {review.on_expiry === 'approve' ? 'approved' : 'rejected'}
        </dd>
      </dl>
      <h3>Why it was held</h3>
      <ul className="reasons">
        {review.reasons.map((r, i) => (
          <li key={i}>{r}</li>
        ))}
      </ul>
      <ReviewContent client={client} review={review} />
      <p>
        <a href={href.message(review.agent_address, review.message_id)}>Open the full message</a> (headers, HTML, hidden text, attachments)
      </p>
      {editing ? (
        <EditAndApprove
          client={client}
          review={review}
          busy={action.busy}
          onCancel={() => setEditing(false)}
          onApprove={(edits) =>
            action.run(async () => {
              await client.reviews.approve(review.id, edits);
              props.onDecided(`Approved “${subject}” with edits.`);
            })
          }
        />
      ) : (
        <div className="actions">
          <button
            type="button"
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                await client.reviews.approve(review.id);
                props.onDecided(`Approved “${subject}”.`);
              })
            }
          >
            Approve
          </button>
          {review.direction === 'outbound' && (
            <button type="button" disabled={action.busy} onClick={() => setEditing(true)}>
              Edit, then approve
            </button>
          )}
          <label htmlFor={`${titleId}-reason`}>Reason (optional)</label>
          <input id={`${titleId}-reason`} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} />
          <button
            type="button"
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                await client.reviews.reject(review.id, reason);
                props.onDecided(`Rejected “${subject}”.`);
              })
            }
          >
            Reject
          </button>
        </div>
      )}
      {action.error && <ErrorNote error={action.error} />}
    </article>
  );
}

/**
 * The held mail's text, fetched when the reviewer opens it: the list carries no text (a page would
 * otherwise open every draft, attachments and all), GET /v1/reviews/{id} does.
 */
function ReviewContent(props: { client: E2A; review: Review }) {
  const [open, setOpen] = useState(false);
  return (
    <details className="review-content" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Content</summary>
      {open && <ReviewText client={props.client} id={props.review.id} />}
    </details>
  );
}

function ReviewText(props: { client: E2A; id: string }) {
  const full = useLoad(() => props.client.reviews.get(props.id), [props.client, props.id]);
  return (
    <LoadedView loaded={full} what="the text">
      {(review) => <pre className="review-text">{review.text ?? '(no text)'}</pre>}
    </LoadedView>
  );
}

/** The editor starts from the draft as it stands: the full review (with its text) is fetched first. */
function EditAndApprove(props: {
  client: E2A;
  review: Review;
  busy: boolean;
  onCancel: () => void;
  onApprove: (edits: { to: string[]; subject: string; text: string; note: string }) => void;
}) {
  const full = useLoad(() => props.client.reviews.get(props.review.id), [props.client, props.review.id]);
  return (
    <LoadedView loaded={full} what="the draft to edit">
      {(review) => <EditForm {...props} review={review} />}
    </LoadedView>
  );
}

function EditForm(props: {
  review: Review;
  busy: boolean;
  onCancel: () => void;
  onApprove: (edits: { to: string[]; subject: string; text: string; note: string }) => void;
}) {
  const { review } = props;
  const [to, setTo] = useState(review.to.join(', '));
  const [subject, setSubject] = useState(review.subject ?? '');
  const [text, setText] = useState(review.text ?? '');
  const [note, setNote] = useState('');
  const id = `edit-${review.id}`;
  return (
    <form
      className="edit"
      aria-label="Edit, then approve"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApprove({ to: to.split(',').map((s) => s.trim()).filter(Boolean), subject, text, note });
      }}
    >
      <label htmlFor={`${id}-to`}>To (comma-separated)</label>
      <input id={`${id}-to`} value={to} onChange={(e) => setTo(e.target.value)} required />
      <label htmlFor={`${id}-subject`}>Subject</label>
      <input id={`${id}-subject`} value={subject} onChange={(e) => setSubject(e.target.value.replace(/[\r\n]/g, ''))} />
      <label htmlFor={`${id}-text`}>Text</label>
      <textarea id={`${id}-text`} rows={8} value={text} onChange={(e) => setText(e.target.value)} />
      <label htmlFor={`${id}-note`}>Note for the record (optional)</label>
      <input id={`${id}-note`} value={note} maxLength={1000} onChange={(e) => setNote(e.target.value)} />
      <p className="hint">The edited text replaces the message's text; an HTML part, if any, is replaced by it too.</p>
      <div className="actions">
        <button type="submit" disabled={props.busy}>
          Approve with these edits
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * An outbound send_at and what approving does about it: approved before then, the message waits for
 * it; after, it goes at once (docs/OUTBOUND.md, "Scheduled sending"). The queue re-renders with
 * every poll, so the clause follows the time passing.
 */
function ScheduledFor(props: { sendAt: string }) {
  const at = new Date(props.sendAt);
  const utc = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return (
    <>
      <time dateTime={props.sendAt} title={at.toLocaleString()}>
        {utc}
      </time>
      {at.getTime() > Date.now() ? '; approving before then sends it at that time' : ', which has passed; approving sends it at once'}
    </>
  );
}

/** Time left until `until`, ticking each second ("3 h 12 min", "45 s"); "now" once past. */
export function Countdown(props: { until: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.floor((Date.parse(props.until) - now) / 1000));
  const d = Math.floor(left / 86400);
  const h = Math.floor((left % 86400) / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  const text = left === 0 ? 'now' : d > 0 ? `in ${d} d ${h} h` : h > 0 ? `in ${h} h ${m} min` : m > 0 ? `in ${m} min ${s} s` : `in ${s} s`;
  return (
    <time dateTime={props.until} title={new Date(props.until).toLocaleString()}>
      {text}
    </time>
  );
}
