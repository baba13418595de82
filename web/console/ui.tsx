import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiProblem } from './api';
import { useT } from './i18n';
import { commonMessages } from './messages/common';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Runs `load` when `deps` change and on `reload()`; a stale answer never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const mine = ++latest.current;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => mine === latest.current && setState({ data, loading: false }),
      (error: unknown) => mine === latest.current && setState({ error, loading: false }),
    );
  }, [...deps, round]);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface PageOf<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** A cursor-paged list: the first page on `deps`, then "show more" appends the next. */
export function usePaged<T>(load: (cursor?: string) => Promise<PageOf<T>>, deps: readonly unknown[]) {
  const first = useLoad(() => load(), deps);
  const [more, setMore] = useState<{ items: T[]; next: string | null; error?: unknown }>({
    items: [],
    next: null,
  });
  useEffect(() => setMore({ items: [], next: null }), [first.data]);
  const next = more.items.length > 0 ? more.next : (first.data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!next) return;
    try {
      const page = await load(next);
      setMore((previous) => ({ items: [...previous.items, ...page.items], next: page.nextCursor }));
    } catch (error) {
      setMore((previous) => ({ ...previous, error }));
    }
  };
  return {
    items: first.data ? [...first.data.items, ...more.items] : undefined,
    error: first.error ?? more.error,
    loading: first.loading,
    hasMore: next !== null,
    loadMore,
    reload: first.reload,
  };
}

/** A refusal in words, with its code (which is what a support desk asks for). */
export function ProblemMessage(props: { error: unknown }) {
  const t = useT(commonMessages);
  if (!props.error) return null;
  const problem = props.error instanceof ApiProblem ? props.error : undefined;
  const text = !problem
    ? t('offline')
    : problem.status === 404
      ? t('notFound')
      : problem.status === 403
        ? t('forbidden')
        : (problem.detail ?? t('errorTitle'));
  return (
    <div class="problem" role="alert" data-code={problem?.code ?? 'NETWORK'}>
      <strong>{t('errorTitle')}</strong>
      <p>{text}</p>
      {problem && (
        <p class="muted">
          {t('errorCode')}: <code>{problem.code}</code>
          {problem.fields.length > 0 && <> · {problem.fields.join(', ')}</>}
        </p>
      )}
    </div>
  );
}

export function Loading() {
  const t = useT(commonMessages);
  return (
    <p class="muted" aria-busy="true">
      {t('loading')}
    </p>
  );
}

/** What a load shows while it runs or after it failed; the children once it has data. */
export function Await<T>(props: {
  loaded: Pick<Loaded<T>, 'data' | 'error'>;
  children: (data: T) => JSX.Element;
}) {
  if (props.loaded.error) return <ProblemMessage error={props.loaded.error} />;
  if (props.loaded.data === undefined) return <Loading />;
  return props.children(props.loaded.data);
}

export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {props.title}
        </h1>
        {props.actions && <div class="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A labelled form control: the label, the control, a hint; the id ties them together. */
export function Field(props: {
  label: string;
  hint?: string;
  required?: boolean;
  children: (id: string, describedBy: string | undefined) => JSX.Element;
}) {
  const id = useId();
  const hint = props.hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        {props.required && <span aria-hidden="true"> *</span>}
      </label>
      {props.children(id, hint)}
      {props.hint && (
        <small id={hint} class="muted">
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** A form whose submit runs `action` once at a time and shows its refusal beside it. */
export function ActionForm(props: {
  label: string;
  submit: string;
  /** Gets the form's fields; the form is reset after it succeeds. */
  action: (data: FormData) => Promise<void>;
  children: ComponentChildren;
  class?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <form
      class={`card form ${props.class ?? ''}`}
      aria-label={props.label}
      onSubmit={async (event) => {
        event.preventDefault();
        if (busy) return;
        setBusy(true);
        setError(undefined);
        const form = event.currentTarget;
        try {
          await props.action(new FormData(form));
          form.reset();
        } catch (failure) {
          setError(failure);
        } finally {
          setBusy(false);
        }
      }}
    >
      {props.children}
      <ProblemMessage error={error} />
      <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
        {props.submit}
      </button>
    </form>
  );
}

/**
 * A table that scrolls sideways where it is wider than the screen: a named
 * region that takes the focus, so that a keyboard alone can scroll it too.
 */
function TableWrap(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (WCAG 2.1.1)
    <section class="table-wrap" aria-label={props.label} tabIndex={0}>
      {props.children}
    </section>
  );
}

/** A list as a table: its column headings, then the rows the caller draws, in a labelled scrolling region. */
export function Table(props: {
  label: string;
  testId?: string;
  headers: readonly string[];
  caption?: boolean;
  children: ComponentChildren;
}) {
  return (
    <TableWrap label={props.label}>
      <table data-testid={props.testId}>
        {props.caption && <caption class="visually-hidden">{props.label}</caption>}
        <thead>
          <tr>
            {props.headers.map((header) => (
              <th scope="col" key={header}>
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </TableWrap>
  );
}

export function MoreButton(props: { hasMore: boolean; loadMore: () => void }) {
  const t = useT(commonMessages);
  if (!props.hasMore) return null;
  return (
    <button type="button" class="more" onClick={props.loadMore}>
      {t('more')}
    </button>
  );
}

/** A status as a labelled chip; the raw value stays in a data attribute for tests and styling. */
export function Chip(props: { value: string; label?: string; tone?: 'ok' | 'warn' | 'bad' | 'info' }) {
  return (
    <span class={`chip ${props.tone ?? 'info'}`} data-value={props.value}>
      {props.label ?? props.value}
    </span>
  );
}

export function Empty() {
  const t = useT(commonMessages);
  return <p class="muted empty">{t('none')}</p>;
}

/** A shortened identifier that shows in full on hover and is copied whole. */
export function ShortId(props: { id: string }) {
  return (
    <code class="id" title={props.id}>
      {props.id.slice(0, 8)}
    </code>
  );
}

/** A form field's text, trimmed ('' when absent). */
export function text(data: FormData, name: string): string {
  return String(data.get(name) ?? '').trim();
}
