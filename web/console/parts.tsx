import type { ComponentChildren } from 'preact';
import { useApi } from './api';
import { type Catalogue, formatTime, useLang } from './i18n';
import { orderStateMessages } from './messages/orders';
import { Chip } from './ui';

/** The signed-in principal's roles: pages choose what to offer by them, the API decides what is allowed. */
export function useRoles(): ReadonlySet<string> {
  return new Set(useApi().principal.roles);
}

/** A translator for API codes (statuses, kinds): the code itself where the catalogue has no label for it. */
export function useLabels<K extends string>(catalogue: Catalogue<K>) {
  const messages = catalogue[useLang()] as Readonly<Record<string, string>>;
  return (code: string | null | undefined): string =>
    code === null || code === undefined
      ? '—'
      : Object.hasOwn(messages, code)
        ? (messages[code] ?? code)
        : code;
}

/** An instant in the reader's language and zone, machine-readable in `datetime`. */
export function Time(props: { at: string | null | undefined }) {
  const lang = useLang();
  if (!props.at) return <>—</>;
  return <time dateTime={props.at}>{formatTime(lang, props.at)}</time>;
}

/** A polite live region: what an action did, read out without moving the focus. */
export function Announce(props: { children?: ComponentChildren }) {
  return (
    <p class="announce" role="status" aria-live="polite">
      {props.children}
    </p>
  );
}

const BAD_STATES = new Set([
  'overdue',
  'refused',
  'mla_refused',
  'refused_by_enforcing',
  'impossible',
  'expired',
  'deletion_or_restriction_required',
  'escalated',
]);
const WARN_STATES = new Set([
  'info_requested',
  'clarification_requested',
  'at_risk_notified',
  'confidentiality_notified',
  'postponed',
  'objected',
  'extension_requested',
  'pending_mla_decision',
  'conditions_declined',
]);
/** States in which the order did what it was for; every other one is neutral. */
const DONE_STATES = new Set([
  'preserved',
  'extended',
  'produced',
  'executed',
  'partially_executed',
  'disclosed',
  'answered',
  'acknowledged',
  'production_confirmed',
]);

/** An order's status as a chip, toned by what it asks of the reader. */
export function OrderStatus(props: { status: string }) {
  const label = useLabels(orderStateMessages);
  const tone = BAD_STATES.has(props.status)
    ? 'bad'
    : WARN_STATES.has(props.status)
      ? 'warn'
      : DONE_STATES.has(props.status)
        ? 'ok'
        : 'info';
  return <Chip value={props.status} label={label(props.status)} tone={tone} />;
}
