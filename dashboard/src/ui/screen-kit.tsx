/**
 * Small pieces the account screens share: loading a resource with its loading/error/ready states,
 * running an action with a busy flag and an error, copying text, and showing times.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type { Page } from '@e2a/sdk';
import './screen-kit.css';

export type Loaded<T> =
  | { state: 'loading'; data: T | undefined; error: null; reload: () => void }
  | { state: 'error'; data: T | undefined; error: string; reload: () => void }
  | { state: 'ready'; data: T; error: null; reload: () => void };

/** What an API error says, with the request id when there is one (to quote in a report). */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const requestId = (err as { requestId?: string | null }).requestId;
    return requestId ? `${err.message} (request ${requestId})` : err.message;
  }
  return String(err);
}

/** Loads `load()` when `deps` change and on reload(); a stale answer never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ state: 'loading' | 'error' | 'ready'; data: T | undefined; error: string | null }>({
    state: 'loading',
    data: undefined,
    error: null,
  });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ state: 'loading', data: s.data, error: null }));
    load().then(
      (data) => mine === generation.current && setState({ state: 'ready', data, error: null }),
      (err: unknown) => mine === generation.current && setState((s) => ({ state: 'error', data: s.data, error: errorText(err) })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { ...state, reload } as Loaded<T>;
}

/** Every item of a paginated list (`paginate(…)`, `client.agents.iterate()`), in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

export interface Paged<T> {
  /** The first page, with its loading and error states. */
  first: Loaded<Page<T>>;
  /** The first page's items and every older page loaded since it. */
  items: T[];
  hasMore: boolean;
  loadMore: () => void;
  more: ReturnType<typeof useAction>;
}

/**
 * A cursor-paginated list: the first page loads with `deps`, older pages on loadMore(). Reloading
 * the first page drops the older pages loaded after the previous one.
 */
export function usePaged<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]): Paged<T> {
  const first = useLoad(() => fetchPage(undefined), deps);
  const [older, setOlder] = useState<{ after: Page<T>; items: T[]; cursor: string | null } | null>(null);
  const more = useAction();
  const page = first.data;
  const extra = older && older.after === page ? older : null;
  const cursor = extra ? extra.cursor : (page?.next_cursor ?? null);
  return {
    first,
    items: page ? [...page.items, ...(extra?.items ?? [])] : [],
    hasMore: cursor !== null,
    more,
    loadMore: () => {
      if (!page || cursor === null) return;
      void more.run(() => fetchPage(cursor)).then((next) => next && setOlder({ after: page, items: [...(extra?.items ?? []), ...next.items], cursor: next.next_cursor }));
    },
  };
}

/** The "load older" button under a paged list, with its error. */
export function LoadMore<T>(props: { paged: Paged<T>; label: string }) {
  const { paged } = props;
  return (
    <>
      {paged.hasMore && (
        <button type="button" disabled={paged.more.busy} onClick={paged.loadMore}>
          {props.label}
        </button>
      )}
      {paged.more.error && <ErrorNote error={`Could not load more: ${paged.more.error}`} />}
    </>
  );
}

/** Runs one action at a time: `busy` while it runs, `error` if it failed (cleared by the next run). */
export function useAction(): {
  busy: boolean;
  error: string | null;
  run: <R>(action: () => Promise<R>) => Promise<R | undefined>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <R,>(action: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (err) {
      setError(errorText(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: useCallback(() => setError(null), []) };
}

export function Loading(props: { what: string }) {
  return (
    <p className="sk-loading" role="status" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

export function ErrorNote(props: { error: string; onRetry?: () => void }) {
  return (
    <div className="sk-error" role="alert">
      <p>{props.error}</p>
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty(props: { children: ReactNode }) {
  return <div className="sk-empty">{props.children}</div>;
}

/**
 * The loading, error and empty states around a loaded list; `children` renders the ready data.
 * While a reload runs the last data stays on screen.
 */
export function LoadedView<T>(props: {
  loaded: Loaded<T>;
  what: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { loaded } = props;
  if (loaded.data === undefined) {
    if (loaded.state === 'error') return <ErrorNote error={`Could not load ${props.what}: ${loaded.error}`} onRetry={loaded.reload} />;
    return <Loading what={props.what} />;
  }
  return (
    <>
      {loaded.state === 'error' && <ErrorNote error={`Could not refresh ${props.what}: ${loaded.error}`} onRetry={loaded.reload} />}
      {props.isEmpty?.(loaded.data) ? <Empty>{props.empty}</Empty> : props.children(loaded.data)}
    </>
  );
}

/** A button that copies `text` to the clipboard and says whether it did. */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  return (
    <span className="sk-copy">
      <button
        type="button"
        aria-label={props.label}
        onClick={() => {
          navigator.clipboard.writeText(props.text).then(
            () => setDone('copied'),
            () => setDone('failed'),
          );
        }}
      >
        Copy
      </button>
      <span role="status" className="sk-copy-status">
        {done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </span>
  );
}

/**
 * A button for something that cannot be undone: the first press asks in the page (a question with
 * Confirm and Cancel, focus on Confirm), the second does it. No window.confirm: it blocks the page
 * and test drivers dismiss it.
 */
export function ConfirmButton(props: { label: string; ariaLabel?: string; question: string; confirmLabel: string; disabled?: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <button type="button" className="danger" disabled={props.disabled} aria-label={props.ariaLabel} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    <span className="sk-confirm" role="group" aria-label={props.question}>
      <span>{props.question}</span>{' '}
      <button
        type="button"
        ref={confirm}
        className="danger"
        disabled={props.disabled}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** A secret shown once, with a copy button and the warning that it is not shown again. */
export function ShownOnce(props: { label: string; value: string; onDone: () => void }) {
  return (
    <div className="sk-secret" role="region" aria-label={props.label}>
      <p>
        <strong>{props.label}</strong>: shown only now. Store it before you close this.
      </p>
      <code className="sk-mono">{props.value}</code> <CopyButton text={props.value} label={`Copy ${props.label}`} />
      <p>
        <button type="button" onClick={props.onDone}>
          I have stored it
        </button>
      </p>
    </div>
  );
}

export function Time(props: { at: string | null | undefined; never?: string }) {
  if (!props.at) return <>{props.never ?? '—'}</>;
  const d = new Date(props.at);
  return (
    <time dateTime={props.at} title={props.at}>
      {d.toLocaleString()}
    </time>
  );
}

/** Splits a textarea's lines or commas into trimmed, non-empty entries. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
