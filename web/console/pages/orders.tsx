import { useState } from 'preact/hooks';
import { type EntryValue, type LogEntry, revealFields } from '../../../src/ledger';
import { PROPOSALS } from '../../../src/orders/consultations';
import {
  ASSISTANCE_TYPES,
  DIRECTIONS,
  type Direction,
  ORDER_KINDS,
  ORDER_STATUSES,
  type OrderKind,
} from '../../../src/orders/lifecycle';
import { ApiProblem, useApi } from '../api';
import { formatTime, useLang, useT } from '../i18n';
import { commonMessages, ROLE_LABEL } from '../messages/common';
import {
  channelMessages,
  deadlineRuleMessages,
  directionMessages,
  groundMessages,
  instrumentMessages,
  orderEventMessages,
  orderFieldMessages,
  orderKindMessages,
  orderMessages,
  orderStateMessages,
} from '../messages/orders';
import { Announce, OrderStatus, Time, useLabels, useRoles } from '../parts';
import { Link, navigate } from '../router';
import {
  ActionForm,
  Await,
  Chip,
  Empty,
  Field,
  MoreButton,
  Page,
  type PageOf,
  ProblemMessage,
  ShortId,
  Table,
  useLoad,
  usePaged,
} from '../ui';
import './pages.css';

/** An order as `GET /v1/orders/:id` shows it; a requester's status view has only the first group. */
export interface OrderView {
  readonly id: string;
  readonly registryNumber: string | null;
  readonly kind: OrderKind;
  readonly direction: Direction;
  readonly status: string;
  readonly legalBasis: {
    readonly instrument: string;
    readonly article?: string;
    readonly reference?: string;
  };
  readonly submittedByAgency: string | null;
  readonly receivedAt: string;
  readonly timeZone: string;
  readonly deadlines: {
    readonly rule: string | null;
    readonly at: string | null;
    readonly local: ReadonlyArray<{ readonly zone: string; readonly at: string }>;
    readonly lapseRecorded: boolean;
    readonly preservedAt: string | null;
    readonly extensions: number;
    readonly untilDecided: boolean;
    readonly warningAt: string | null;
  };
  readonly missing: readonly string[];
  readonly formalConfirmation: {
    readonly due: string;
    readonly outstanding: boolean;
    readonly reference?: string;
    readonly receivedAt?: string;
  } | null;
  readonly statusOnly: boolean;
  /** The moves the caller may make now: on the single order's view only. */
  readonly allowedMoves?: readonly AllowedMove[];
  readonly caseId?: string | null;
  readonly requestingState?: string | null;
  readonly requestedState?: string | null;
  readonly requestingAuthority?: string;
  readonly channel?: string;
  readonly urgency?: string;
  readonly ownerAgency?: string;
  readonly executingAgency?: string | null;
  readonly safeguards?: Readonly<Record<string, unknown>>;
}

/** Orders and requests: due soon first for their handlers, status views for a partner. */
export function OrdersPage() {
  const t = useT(orderMessages);
  const partner = useRoles().has('partner');
  const [status, setStatus] = useState('');
  const api = useApi();
  const list = usePaged(
    (cursor) =>
      api.get<PageOf<OrderView>>('/v1/orders', {
        status: status || undefined,
        sort: partner ? 'newest' : 'deadline',
        limit: 25,
        cursor,
      }),
    [status, partner],
  );
  const statusLabel = useLabels(orderStateMessages);
  const [creating, setCreating] = useState(false);
  return (
    <Page
      title={partner ? t('ourRequests') : t('dueSoon')}
      actions={
        <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          {creating ? t('hideForm') : partner ? t('newRequest') : t('newOrder')}
        </button>
      }
    >
      <p class="muted">{partner ? t('requestsIntro') : t('ordersIntro')}</p>
      {creating && <NewOrder partner={partner} />}
      <div class="filters">
        <Field label={t('filterStatus')}>
          {(id) => (
            <select id={id} value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
              <option value="">{t('anyStatus')}</option>
              {[...ORDER_STATUSES]
                .sort((a, b) => statusLabel(a).localeCompare(statusLabel(b)))
                .map((code) => (
                  <option key={code} value={code}>
                    {statusLabel(code)}
                  </option>
                ))}
            </select>
          )}
        </Field>
      </div>
      <Await loaded={{ data: list.items, error: list.error }}>
        {(items) =>
          items.length === 0 ? (
            <Empty />
          ) : (
            <>
              <OrderTable items={items} partner={partner} />
              <MoreButton hasMore={list.hasMore} loadMore={list.loadMore} />
            </>
          )
        }
      </Await>
    </Page>
  );
}

function OrderTable(props: { items: readonly OrderView[]; partner: boolean }) {
  const t = useT(orderMessages);
  const common = useT(commonMessages);
  const kind = useLabels(orderKindMessages);
  const direction = useLabels(directionMessages);
  return (
    <Table
      label={props.partner ? t('requestsList') : t('ordersList')}
      testId="orders-list"
      caption
      headers={[
        ...(props.partner ? [] : [t('nextDeadline')]),
        t('order'),
        t('kind'),
        ...(props.partner ? [t('received')] : [t('direction'), t('states')]),
        common('status'),
        ...(props.partner ? [t('missingTitle'), t('nextDeadline')] : []),
      ]}
    >
      {props.items.map((order) => (
        <tr key={order.id} data-testid="order-row" data-order-id={order.id} data-status={order.status}>
          {!props.partner && (
            <td>
              <Deadline order={order} />
            </td>
          )}
          <td class="nowrap">
            <Link href={`/orders/${order.id}`}>{order.registryNumber ?? <ShortId id={order.id} />}</Link>
          </td>
          <td>{kind(order.kind)}</td>
          {props.partner ? (
            <td>
              <Time at={order.receivedAt} />
            </td>
          ) : (
            <>
              <td>{direction(order.direction)}</td>
              <td class="nowrap">
                {order.requestingState ?? '—'} → {order.requestedState ?? '—'}
              </td>
            </>
          )}
          <td>
            <OrderStatus status={order.status} />
          </td>
          {props.partner && (
            <>
              <td>
                {order.missing.length > 0 ? (
                  <Chip
                    value="missing"
                    tone="warn"
                    label={t('missingCount', { count: order.missing.length })}
                  />
                ) : (
                  <Chip value="complete" tone="ok" label={t('complete')} />
                )}
              </td>
              <td>
                <Deadline order={order} />
              </td>
            </>
          )}
        </tr>
      ))}
    </Table>
  );
}

/** Where a deadline stands now: lapsed (overdue), within its warning, or ahead. */
function deadlineState(
  order: OrderView,
  now = Date.now(),
): 'overdue' | 'minimum' | 'soon' | 'ahead' | 'none' {
  const { at, warningAt, lapseRecorded, rule } = order.deadlines;
  if (!at) return 'none';
  // A preservation's floor that is reached is no failure: the data may now be released, or held for an MLA request.
  if (lapseRecorded || Date.parse(at) <= now)
    return rule === 'preserve_at_least_until' ? 'minimum' : 'overdue';
  if (warningAt && Date.parse(warningAt) <= now) return 'soon';
  return 'ahead';
}

function Deadline(props: { order: OrderView }) {
  const t = useT(orderMessages);
  const rule = useLabels(deadlineRuleMessages);
  const state = deadlineState(props.order);
  if (state === 'none')
    return (
      <span class="muted">
        {props.order.deadlines.rule ? rule(props.order.deadlines.rule) : t('noDeadline')}
      </span>
    );
  return (
    <span class="deadline" data-deadline={state}>
      <Time at={props.order.deadlines.at} />{' '}
      {state === 'overdue' && <Chip value="overdue" tone="bad" label={t('overdue')} />}
      {state === 'minimum' && <Chip value="minimum_reached" tone="warn" label={t('minimumReached')} />}
      {state === 'soon' && <Chip value="soon" tone="warn" label={t('dueWithin')} />}
    </span>
  );
}

/** One order: facts, deadlines, what may happen next, its history, linked evidence, and its notifications. */
export function OrderPage(props: { id: string }) {
  const api = useApi();
  const t = useT(orderMessages);
  const kind = useLabels(orderKindMessages);
  const loaded = useLoad(
    () =>
      api.get<{ order: OrderView }>(`/v1/orders/${encodeURIComponent(props.id)}`).then((body) => body.order),
    [props.id],
  );
  const chain = useLoad(
    () =>
      api
        .get<{ entries: ChainEntry[] }>(`/v1/orders/${encodeURIComponent(props.id)}/chain`)
        .then((body) => body.entries),
    [props.id],
  );
  const [announced, setAnnounced] = useState('');
  const changed = (message: string) => {
    setAnnounced(message);
    loaded.reload();
    chain.reload();
  };
  const order = loaded.data;
  return (
    <Page
      title={order ? `${kind(order.kind)} · ${order.registryNumber ?? order.id.slice(0, 8)}` : t('order')}
      actions={order && <OrderStatus status={order.status} />}
    >
      <Announce>{announced}</Announce>
      <Await loaded={loaded}>
        {(view) => (
          <div data-testid="order" data-order-id={view.id} data-status={view.status}>
            {view.statusOnly && <p class="notice">{t('statusOnlyNote')}</p>}
            <div class="grid">
              <OrderFacts order={view} />
              <Deadlines order={view} />
            </div>
            {view.missing.length > 0 && <Missing order={view} onSupplied={changed} />}
            <Moves order={view} onMoved={changed} />
            <Await loaded={chain}>
              {(entries) => (
                <>
                  <LinkedEvidence entries={entries} hideEmpty={view.statusOnly} />
                  <History entries={entries} />
                </>
              )}
            </Await>
            <Notifications orderId={view.id} />
          </div>
        )}
      </Await>
    </Page>
  );
}

function OrderFacts(props: { order: OrderView }) {
  const t = useT(orderMessages);
  const kind = useLabels(orderKindMessages);
  const direction = useLabels(directionMessages);
  const channel = useLabels(channelMessages);
  const { order } = props;
  const basis = order.legalBasis;
  return (
    <section class="card" aria-labelledby="order-facts">
      <h2 id="order-facts">{t('facts')}</h2>
      <dl class="facts wrap">
        <dt>{t('registryNumber')}</dt>
        <dd>{order.registryNumber ?? '—'}</dd>
        <dt>{t('kind')}</dt>
        <dd>{kind(order.kind)}</dd>
        <dt>{t('direction')}</dt>
        <dd>{direction(order.direction)}</dd>
        <dt>{t('legalBasis')}</dt>
        <dd>
          <LegalBasis basis={basis} />
        </dd>
        <dt>{t('received')}</dt>
        <dd>
          <Time at={order.receivedAt} />
        </dd>
        {!order.statusOnly && (
          <>
            <dt>{t('requestingState')}</dt>
            <dd>{order.requestingState ?? '—'}</dd>
            <dt>{t('requestedState')}</dt>
            <dd>{order.requestedState ?? '—'}</dd>
            <dt>{t('requestingAuthority')}</dt>
            <dd>{order.requestingAuthority ?? '—'}</dd>
            <dt>{t('channel')}</dt>
            <dd>{channel(order.channel)}</dd>
            <dt>{t('urgency')}</dt>
            <dd>{channel(order.urgency)}</dd>
            <dt>{t('submittedBy')}</dt>
            <dd>{order.submittedByAgency ?? '—'}</dd>
            <dt>{t('ownerAgency')}</dt>
            <dd>{order.ownerAgency ?? '—'}</dd>
            {order.executingAgency && (
              <>
                <dt>{t('executingAgency')}</dt>
                <dd>{order.executingAgency}</dd>
              </>
            )}
            {order.caseId && (
              <>
                <dt>{t('case')}</dt>
                <dd>
                  <Link href={`/cases/${order.caseId}`}>
                    <ShortId id={order.caseId} />
                  </Link>
                </dd>
              </>
            )}
          </>
        )}
      </dl>
    </section>
  );
}

/** An instrument and its article, as the order or request cites them. */
export function LegalBasis(props: { basis: OrderView['legalBasis'] }) {
  const t = useT(orderMessages);
  const { instrument, article, reference } = props.basis;
  return (
    <>
      {article ? t('instrumentArticle', { instrument, article }) : instrument}
      {reference && <span class="muted"> · {reference}</span>}
    </>
  );
}

function Deadlines(props: { order: OrderView }) {
  const t = useT(orderMessages);
  const rule = useLabels(deadlineRuleMessages);
  const lang = useLang();
  const { deadlines, formalConfirmation } = props.order;
  return (
    <section class="card" aria-labelledby="order-deadlines" data-testid="order-deadlines">
      <h2 id="order-deadlines">{t('deadlines')}</h2>
      <dl class="facts wrap">
        <dt>{t('deadlineRule')}</dt>
        <dd>{deadlines.rule ? rule(deadlines.rule) : t('noDeadline')}</dd>
        {deadlines.at && (
          <>
            <dt>{t('deadlineAt')}</dt>
            <dd>
              <Deadline order={props.order} />
            </dd>
          </>
        )}
        {deadlines.local.length > 0 && (
          <>
            <dt>{t('localTimes')}</dt>
            <dd>
              <ul class="plain">
                {deadlines.local.map((local) => (
                  <li key={local.zone}>
                    <span class="muted">{local.zone}:</span> {formatTime(lang, local.at, local.zone)}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        {deadlines.warningAt && (
          <>
            <dt>{t('warningAt')}</dt>
            <dd>
              <Time at={deadlines.warningAt} />
            </dd>
          </>
        )}
        {deadlines.preservedAt && (
          <>
            <dt>{t('preservedAt')}</dt>
            <dd>
              <Time at={deadlines.preservedAt} />
            </dd>
          </>
        )}
        <dt>{t('extensions')}</dt>
        <dd>{deadlines.extensions}</dd>
        {deadlines.untilDecided && (
          <>
            <dt>{t('untilDecided')}</dt>
            <dd>{t('yes')}</dd>
          </>
        )}
        {formalConfirmation && (
          <>
            <dt>{t('formalConfirmation')}</dt>
            <dd>
              {formalConfirmation.outstanding ? (
                <>
                  <Chip value="outstanding" tone="warn" label={t('formalOutstanding')} />{' '}
                  {t('formalDue', { at: formatTime(lang, formalConfirmation.due, props.order.timeZone) })}
                </>
              ) : (
                t('formalReceived', {
                  reference: formalConfirmation.reference ?? '—',
                  at: formalConfirmation.receivedAt ?? '—',
                })
              )}
            </dd>
          </>
        )}
      </dl>
      {deadlines.lapseRecorded && <p class="notice warn">{t('lapseRecorded')}</p>}
    </section>
  );
}

/** Supplement fields that are a yes or no. */
const FLAGS = new Set(['intendsMla', 'confidential', 'noUserNotification', 'onwardTransferAllowed']);
/** Supplement fields that are structured (lists, periods, documents): the API takes them, not this form. */
const STRUCTURED = new Set([
  'personsConcerned',
  'translations',
  'translation',
  'dataPeriod',
  'dataCategories',
]);

function Missing(props: { order: OrderView; onSupplied: (message: string) => void }) {
  const t = useT(orderMessages);
  const field = useLabels(orderFieldMessages);
  const api = useApi();
  const requester = useRoles().has('partner') && props.order.statusOnly;
  const simple = props.order.missing.filter((name) => !STRUCTURED.has(name));
  const structured = props.order.missing.filter((name) => STRUCTURED.has(name));
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [note, setNote] = useState('');
  return (
    <section class="card" aria-labelledby="order-missing" data-testid="order-missing">
      <h2 id="order-missing">{t('missingTitle')}</h2>
      <p>{t('missingIntro')}</p>
      <ul>
        {props.order.missing.map((name) => (
          <li key={name} data-field={name}>
            {field(name)}
          </li>
        ))}
      </ul>
      {requester && (
        <>
          <h3>{t('supplement')}</h3>
          <p class="muted">{t('supplementIntro')}</p>
          {simple.length > 0 && (
            <ActionForm
              label={t('supplement')}
              submit={t('supplementSend')}
              class="inner"
              action={async () => {
                const body = Object.fromEntries(
                  Object.entries(values).filter(([, value]) => value !== '' && value !== false),
                );
                if (Object.keys(body).length === 0) {
                  setNote(t('supplementEmpty'));
                  return;
                }
                setNote('');
                await api.post(`/v1/orders/${props.order.id}/supplement`, body);
                setValues({});
                props.onSupplied(t('supplemented'));
              }}
            >
              {simple.map((name) =>
                FLAGS.has(name) ? (
                  <label key={name} class="check-field">
                    <input
                      type="checkbox"
                      name={name}
                      checked={values[name] === true}
                      onChange={(event) => setValues({ ...values, [name]: event.currentTarget.checked })}
                    />{' '}
                    {field(name)}
                  </label>
                ) : (
                  <Field key={name} label={field(name)}>
                    {(id) => (
                      <textarea
                        id={id}
                        name={name}
                        maxLength={4000}
                        value={(values[name] as string | undefined) ?? ''}
                        onInput={(event) => setValues({ ...values, [name]: event.currentTarget.value })}
                      />
                    )}
                  </Field>
                ),
              )}
              {note && (
                <p class="notice warn" role="alert">
                  {note}
                </p>
              )}
            </ActionForm>
          )}
          {structured.length > 0 && (
            <p class="muted">{t('supplementApiOnly', { names: structured.map(field).join(', ') })}</p>
          )}
        </>
      )}
    </section>
  );
}

type Proposal = (typeof PROPOSALS)[number];

/** One move the caller may make now, as `GET /v1/orders/:id` offers it, with what its request must state. */
interface AllowedMove {
  readonly to: string;
  readonly reasonRequired: boolean;
  /** A refusal or postponement: the grounds its `reasonCode` may name. */
  readonly groundsRequired?: ReadonlyArray<{ readonly code: string; readonly article: string }>;
  readonly mlaOrderRequired?: true;
  /** A traffic disclosure names its hops: recorded through the API. */
  readonly disclosureRequired?: true;
  /** It waits for a consultation with the requester. */
  readonly consultationRequired?: true;
}

function Moves(props: { order: OrderView; onMoved: (message: string) => void }) {
  const t = useT(orderMessages);
  const state = useLabels(orderStateMessages);
  const ground = useLabels(groundMessages);
  const api = useApi();
  const { order } = props;
  const allowed = order.allowedMoves ?? [];
  const tracing = allowed.some((move) => move.disclosureRequired);
  const moves = allowed.filter((move) => !move.disclosureRequired);
  const [chosenTo, setChosen] = useState<string>();
  const [reasonCode, setReasonCode] = useState('');
  const [reason, setReason] = useState('');
  const [mlaOrderId, setMlaOrderId] = useState('');
  if (order.statusOnly && moves.length === 0) return null;
  const choose = (to: string) => {
    setChosen(to === chosenTo ? undefined : to);
    setReasonCode('');
    setReason('');
    setMlaOrderId('');
  };
  const chosen = moves.find((move) => move.to === chosenTo);
  const consultFirst = moves.filter((move) => move.consultationRequired);
  return (
    <section class="card" aria-labelledby="order-moves" data-testid="order-moves">
      <h2 id="order-moves">{t('moves')}</h2>
      {moves.length === 0 ? (
        <p class="muted">{tracing ? t('trafficViaApi') : t('noMoves')}</p>
      ) : (
        <>
          <p class="muted">{t('movesIntro')}</p>
          <div class="button-row">
            {moves.map(({ to }) => (
              <button
                key={to}
                type="button"
                class={chosenTo === to ? 'primary' : ''}
                aria-pressed={chosenTo === to}
                aria-label={t('moveTo', { state: state(to) })}
                data-move={to}
                onClick={() => choose(to)}
              >
                {state(to)}
              </button>
            ))}
          </div>
          {tracing && <p class="muted">{t('trafficViaApi')}</p>}
        </>
      )}
      {consultFirst.length > 0 && (
        <Consultation
          order={order}
          moves={consultFirst.map((move) => state(move.to)).join(', ')}
          onConsulted={props.onMoved}
        />
      )}
      {chosen && (
        <ActionForm
          key={chosen.to}
          label={t('moveForm')}
          submit={t('confirmMove')}
          class="inner"
          action={async () => {
            const body: Record<string, string> = { to: chosen.to };
            if (reasonCode) body.reasonCode = reasonCode;
            if (reason.trim()) body.reason = reason.trim();
            if (mlaOrderId.trim()) body.mlaOrderId = mlaOrderId.trim();
            const { order: moved } = await api.post<{ order: OrderView }>(
              `/v1/orders/${order.id}/transitions`,
              body,
            );
            setChosen(undefined);
            props.onMoved(t('moved', { state: state(moved.status) }));
          }}
        >
          <p>
            <strong>{t('chosenMove')}:</strong> {state(order.status)} → {state(chosen.to)}
          </p>
          {chosen.consultationRequired && <p class="notice warn">{t('consultFirst')}</p>}
          {chosen.groundsRequired && (
            <Field label={t('reasonCode')} required>
              {(id) => (
                <select
                  id={id}
                  required
                  value={reasonCode}
                  onChange={(event) => setReasonCode(event.currentTarget.value)}
                >
                  <option value="">{t('chooseGround')}</option>
                  {chosen.groundsRequired?.map((g) => (
                    <option key={g.code} value={g.code}>
                      {ground(g.code)} ({g.article})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {chosen.mlaOrderRequired && (
            <Field label={t('mlaOrderId')} required>
              {(id) => (
                <input
                  id={id}
                  required
                  pattern="[0-9a-fA-F-]{36}"
                  value={mlaOrderId}
                  onInput={(event) => setMlaOrderId(event.currentTarget.value)}
                />
              )}
            </Field>
          )}
          <Field
            label={t('reason')}
            required={chosen.reasonRequired}
            hint={chosen.reasonRequired ? t('reasonRequired') : t('reasonHint')}
          >
            {(id, describedBy) => (
              <textarea
                id={id}
                aria-describedby={describedBy}
                required={chosen.reasonRequired}
                maxLength={4000}
                value={reason}
                onInput={(event) => setReason(event.currentTarget.value)}
              />
            )}
          </Field>
        </ActionForm>
      )}
    </section>
  );
}

/**
 * The handling side's consultation with the requester (`POST
 * /v1/orders/:id/consultations`), offered while a move it may make waits for one.
 */
function Consultation(props: { order: OrderView; moves: string; onConsulted: (message: string) => void }) {
  const t = useT(orderMessages);
  const api = useApi();
  const [proposes, setProposes] = useState<ReadonlySet<Proposal>>(new Set());
  const [conditions, setConditions] = useState('');
  const [message, setMessage] = useState('');
  return (
    <ActionForm
      label={t('consultTitle')}
      submit={t('consultSubmit')}
      class="inner"
      action={async () => {
        await api.post(`/v1/orders/${props.order.id}/consultations`, {
          proposes: PROPOSALS.filter((proposal) => proposes.has(proposal)),
          ...(conditions.trim() ? { conditions: conditions.trim() } : {}),
          message: message.trim(),
        });
        setProposes(new Set());
        setConditions('');
        setMessage('');
        props.onConsulted(t('consulted'));
      }}
    >
      <h3>{t('consultTitle')}</h3>
      <p class="muted">{t('consultIntro', { moves: props.moves })}</p>
      <fieldset>
        <legend>{t('consultProposes')}</legend>
        {PROPOSALS.map((proposal) => (
          <label key={proposal} class="check-field">
            <input
              type="checkbox"
              name="proposes"
              value={proposal}
              required={proposes.size === 0}
              checked={proposes.has(proposal)}
              onChange={(event) => {
                const next = new Set(proposes);
                if (event.currentTarget.checked) next.add(proposal);
                else next.delete(proposal);
                setProposes(next);
              }}
            />{' '}
            {t(`proposal_${proposal}`)}
          </label>
        ))}
      </fieldset>
      <Field label={t('consultConditions')}>
        {(id) => (
          <textarea
            id={id}
            maxLength={4000}
            value={conditions}
            onInput={(event) => setConditions(event.currentTarget.value)}
          />
        )}
      </Field>
      <Field label={t('consultMessage')} required>
        {(id) => (
          <textarea
            id={id}
            required
            maxLength={4000}
            value={message}
            onInput={(event) => setMessage(event.currentTarget.value)}
          />
        )}
      </Field>
    </ActionForm>
  );
}

/** One entry of `GET /v1/orders/:id/chain`: the entry as logged, and the disclosures this reader receives. */
interface ChainEntry {
  readonly index: number;
  readonly leafHash: string;
  readonly entry: LogEntry;
  readonly disclosures: readonly string[];
}

interface ReadEntry {
  readonly index: number;
  readonly type: string;
  readonly at: string;
  readonly actor: Readonly<Record<string, EntryValue>>;
  readonly data: Readonly<Record<string, EntryValue>>;
  readonly withheld: number;
}

/** An entry with the fields disclosed to this reader filled in; the clear fields alone if they do not check. */
function read(view: ChainEntry): ReadEntry {
  const { entry } = view;
  try {
    const fields = revealFields(entry, view.disclosures);
    return {
      index: view.index,
      type: entry.type,
      at: entry.at,
      actor: fields.actor,
      data: fields.data,
      withheld: fields.withheld.actor.length + fields.withheld.data.length,
    };
  } catch {
    const strip = (object: Readonly<Record<string, unknown>>) =>
      Object.fromEntries(Object.entries(object).filter(([key]) => !key.startsWith('_sd'))) as Record<
        string,
        EntryValue
      >;
    return {
      index: view.index,
      type: entry.type,
      at: entry.at,
      actor: strip(entry.actor as unknown as Record<string, unknown>),
      data: strip(entry.data),
      withheld: 0,
    };
  }
}

function History(props: { entries: readonly ChainEntry[] }) {
  const t = useT(orderMessages);
  const common = useT(commonMessages);
  const event = useLabels(orderEventMessages);
  const state = useLabels(orderStateMessages);
  const ground = useLabels(groundMessages);
  const field = useLabels(orderFieldMessages);
  const entries = props.entries.map(read);
  const text = (value: EntryValue | undefined) => (typeof value === 'string' ? value : undefined);
  const names = (value: EntryValue | undefined) =>
    Array.isArray(value) ? value.map((name) => field(String(name))).join(', ') : undefined;
  return (
    <section aria-labelledby="order-history">
      <h2 id="order-history">{t('history')}</h2>
      <p class="muted">{t('historyIntro')}</p>
      {entries.length === 0 ? (
        <Empty />
      ) : (
        <ol class="timeline" data-testid="order-history">
          {entries.map((entry) => {
            const role = text(entry.actor.role);
            const who = [
              text(entry.actor.sub),
              text(entry.actor.agency),
              role && common(ROLE_LABEL[role] ?? 'roleAdmin'),
            ]
              .filter(Boolean)
              .join(' · ');
            const from = text(entry.data.from);
            const to = text(entry.data.to);
            const missing = names(entry.data.missing);
            const supplied = names(entry.data.supplied);
            return (
              <li key={entry.index} data-type={entry.type} data-index={entry.index}>
                <div class="entry-head">
                  <strong>
                    {event(Object.hasOwn(orderEventMessages.en, entry.type) ? entry.type : 'other')}
                  </strong>
                  <Time at={entry.at} />
                </div>
                {who && <p class="muted small">{t('by', { who })}</p>}
                {to && (
                  <p>
                    {from && <>{state(from)} → </>}
                    <OrderStatus status={to} />
                  </p>
                )}
                {text(entry.data.reasonCode) && <p>{ground(text(entry.data.reasonCode))}</p>}
                {text(entry.data.reason) && <blockquote>{text(entry.data.reason)}</blockquote>}
                {supplied && <p>{supplied}</p>}
                {missing && (
                  <p>
                    {t('missingTitle')}: {missing}
                  </p>
                )}
                {entry.withheld > 0 && <p class="muted small">{t('withheld', { count: entry.withheld })}</p>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

/** The items linked to the order, as its chain records them (`order.evidence_linked`). */
function LinkedEvidence(props: { entries: readonly ChainEntry[]; hideEmpty: boolean }) {
  const t = useT(orderMessages);
  const linked = props.entries
    .map(read)
    .filter((entry) => entry.type === 'order.evidence_linked' && typeof entry.data.evidence === 'string');
  if (linked.length === 0 && props.hideEmpty) return null;
  return (
    <section aria-labelledby="order-evidence">
      <h2 id="order-evidence">{t('linkedEvidence')}</h2>
      {linked.length === 0 ? (
        <p class="muted">{t('noLinkedEvidence')}</p>
      ) : (
        <ul class="card plain" data-testid="order-evidence">
          {linked.map((entry) => {
            const id = String(entry.data.evidence);
            return (
              <li key={entry.index} data-evidence-id={id}>
                <Link href={`/evidence/${id}`}>
                  {typeof entry.data.exhibitNumber === 'string' ? (
                    entry.data.exhibitNumber
                  ) : (
                    <ShortId id={id} />
                  )}
                </Link>{' '}
                <Time at={entry.at} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

interface NotificationView {
  readonly id: string;
  readonly kind: string;
  readonly orderId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly acknowledgedAt: string | null;
}

/** The notifications of the caller's agency about this order, newest first. */
function Notifications(props: { orderId: string }) {
  const t = useT(orderMessages);
  const event = useLabels(orderEventMessages);
  const state = useLabels(orderStateMessages);
  const lang = useLang();
  const api = useApi();
  const loaded = useLoad(
    () =>
      api
        .get<PageOf<NotificationView>>('/v1/notifications', { orderId: props.orderId, limit: 100 })
        .then((page) => page.items),
    [props.orderId],
  );
  const [error, setError] = useState<unknown>();
  // A role that may not read notifications simply has none to show here.
  if (loaded.error instanceof ApiProblem && loaded.error.status === 403) return null;
  return (
    <section aria-labelledby="order-notifications">
      <h2 id="order-notifications">{t('notifications')}</h2>
      <ProblemMessage error={error} />
      <Await loaded={loaded}>
        {(items) =>
          items.length === 0 ? (
            <p class="muted">{t('noNotifications')}</p>
          ) : (
            <ul class="card plain notifications" data-testid="order-notifications">
              {items.map((item) => (
                <li key={item.id} data-notification-id={item.id} data-kind={item.kind}>
                  <span>
                    <strong>{event(item.kind)}</strong>
                    {typeof item.payload.status === 'string' && <> · {state(item.payload.status)}</>}
                  </span>
                  <Time at={item.createdAt} />
                  {item.acknowledgedAt ? (
                    <span class="muted">
                      {t('acknowledged', { at: formatTime(lang, item.acknowledgedAt) })}
                    </span>
                  ) : (
                    <button
                      type="button"
                      onClick={async () => {
                        try {
                          setError(undefined);
                          await api.post(`/v1/notifications/${item.id}/ack`);
                          loaded.reload();
                        } catch (failure) {
                          setError(failure);
                        }
                      }}
                    >
                      {t('acknowledge')}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </Await>
    </section>
  );
}

/** One field of a request form (`GET /v1/orders/templates/:kind`): its name in `POST /v1/orders`, and the provision asking for it. */
interface FormField {
  readonly name: string;
  readonly required: boolean;
  readonly source: string;
}

interface RequestForm {
  readonly direction: Direction;
  readonly fields: readonly FormField[];
}

const INSTRUMENTS = ['UNCC', 'BUDAPEST', 'MLAT', 'EU_2023_1543', 'DOMESTIC'] as const;

/** Fields with a closed set of values (src/http/schemas.ts `orderBody`). */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  channel: ['24/7', 'central_authority', 'interpol', 'eu_decentralised_system', 'direct', 'other'],
  urgency: ['normal', 'urgent', 'emergency'],
  addresseeType: ['person_in_territory', 'service_provider_offering_services'],
  assistanceType: ASSISTANCE_TYPES,
};
const NEW_FLAGS = new Set([...FLAGS, 'formalConfirmationToFollow', 'dataVulnerable']);
/** Short texts: one line is enough. */
const SHORT = new Set([
  'requestingAuthority',
  'custodian',
  'systemLocation',
  'authorisingBody',
  'authorisingReference',
  'addressee',
  'format',
  'language',
  'offence',
  'conductingAuthority',
]);

/** The instrument a new order of `kind` in `direction` most likely rests on; the form lets it be changed. */
function instrumentFor(kind: OrderKind, direction: Direction): string {
  if (kind === 'epoc' || kind === 'epoc_pr') return 'EU_2023_1543';
  return direction === 'domestic' ? 'DOMESTIC' : 'UNCC';
}

/** The provision a template field cites before its colon (`UN 40(15)(a)`), where it cites one; the rest is English prose. */
function provision(source: string): string | undefined {
  const colon = source.indexOf(':');
  const cited = colon > 0 ? source.slice(0, colon).trim() : undefined;
  return cited && cited !== 'api.md' && cited !== 'practice' ? cited : undefined;
}

/**
 * A new order or request, its fields those the law asks of its kind and
 * direction (the service's own request forms). Structured contents (persons,
 * translations, periods, data categories) are left to the API.
 */
function NewOrder(props: { partner: boolean }) {
  const t = useT(orderMessages);
  const common = useT(commonMessages);
  const kindLabel = useLabels(orderKindMessages);
  const directionLabel = useLabels(directionMessages);
  const field = useLabels(orderFieldMessages);
  const choice = useLabels(channelMessages);
  const instrumentLabel = useLabels(instrumentMessages);
  const api = useApi();
  const [kind, setKind] = useState<OrderKind>('preservation');
  const [direction, setDirection] = useState<Direction>(props.partner ? 'incoming' : 'outgoing');
  const [instrument, setInstrument] = useState<string>('UNCC');
  const [article, setArticle] = useState('');
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const template = useLoad(
    () => api.get<{ forms: RequestForm[] }>(`/v1/orders/templates/${kind}`).then((body) => body.forms),
    [kind],
  );
  const set = (name: string, value: string | boolean) => setValues({ ...values, [name]: value });
  const form = template.data?.find((candidate) => candidate.direction === direction);
  const fields = (form?.fields ?? []).filter(
    (f) => !['kind', 'direction', 'legalBasis'].includes(f.name) && !STRUCTURED.has(f.name),
  );
  const structured = (form?.fields ?? []).filter((f) => STRUCTURED.has(f.name)).map((f) => field(f.name));
  const extra = [
    ...(direction === 'domestic' ? [] : ['requestingState', 'requestedState']),
    ...(props.partner ? [] : ['caseId']),
  ];
  const sent = (name: string, value: string | boolean) =>
    name === 'requestedBy' && typeof value === 'string' ? new Date(value).toISOString() : value;
  return (
    <ActionForm
      label={t('newForm')}
      submit={t('newSubmit')}
      action={async () => {
        const contents = Object.fromEntries(
          Object.entries(values)
            .filter(
              ([name, value]) =>
                value !== '' &&
                value !== false &&
                (fields.some((f) => f.name === name) || extra.includes(name)),
            )
            .map(([name, value]) => [name, sent(name, typeof value === 'string' ? value.trim() : value)]),
        );
        const { order } = await api.post<{ order: OrderView }>('/v1/orders', {
          kind,
          direction,
          legalBasis: { instrument, ...(article.trim() ? { article: article.trim() } : {}) },
          ...contents,
        });
        navigate(`/orders/${order.id}`);
      }}
    >
      <p class="muted">{t('newIntro')}</p>
      <div class="row">
        <Field label={t('kind')} required>
          {(id) => (
            <select
              id={id}
              value={kind}
              onChange={(event) => {
                const next = event.currentTarget.value as OrderKind;
                setKind(next);
                setInstrument(instrumentFor(next, direction));
              }}
            >
              {ORDER_KINDS.map((code) => (
                <option key={code} value={code}>
                  {kindLabel(code)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('direction')} required>
          {(id) => (
            <select
              id={id}
              value={direction}
              disabled={props.partner}
              onChange={(event) => {
                const next = event.currentTarget.value as Direction;
                setDirection(next);
                setInstrument(instrumentFor(kind, next));
              }}
            >
              {DIRECTIONS.map((code) => (
                <option key={code} value={code}>
                  {directionLabel(code)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('instrument')} required>
          {(id) => (
            <select id={id} value={instrument} onChange={(event) => setInstrument(event.currentTarget.value)}>
              {INSTRUMENTS.map((code) => (
                <option key={code} value={code}>
                  {instrumentLabel(code)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('article')}>
          {(id) => (
            <input
              id={id}
              maxLength={32}
              value={article}
              onInput={(event) => setArticle(event.currentTarget.value)}
            />
          )}
        </Field>
        {extra.map((name) => (
          <Field key={name} label={name === 'caseId' ? t('caseId') : field(name)}>
            {(id) => (
              <input
                id={id}
                name={name}
                maxLength={name === 'caseId' ? 36 : 2}
                pattern={name === 'caseId' ? '[0-9a-fA-F-]{36}' : '[A-Z]{2}'}
                value={(values[name] as string | undefined) ?? ''}
                onInput={(event) => set(name, event.currentTarget.value)}
              />
            )}
          </Field>
        ))}
      </div>
      <Await loaded={template}>
        {() => (
          <>
            {fields.map((f) => {
              const hint = provision(f.source);
              if (NEW_FLAGS.has(f.name))
                return (
                  <label key={`${kind}-${f.name}`} class="check-field">
                    <input
                      type="checkbox"
                      name={f.name}
                      checked={values[f.name] === true}
                      onChange={(event) => set(f.name, event.currentTarget.checked)}
                    />{' '}
                    {field(f.name)}
                    {hint && <span class="muted small"> · {hint}</span>}
                  </label>
                );
              const options = CHOICES[f.name];
              return (
                <Field
                  key={`${kind}-${f.name}`}
                  label={field(f.name)}
                  required={f.required}
                  {...(hint ? { hint } : {})}
                >
                  {(id, describedBy) =>
                    options ? (
                      <select
                        id={id}
                        name={f.name}
                        required={f.required}
                        aria-describedby={describedBy}
                        value={(values[f.name] as string | undefined) ?? ''}
                        onChange={(event) => set(f.name, event.currentTarget.value)}
                      >
                        <option value="">{t('choose')}</option>
                        {options.map((code) => (
                          <option key={code} value={code}>
                            {f.name === 'channel' || f.name === 'urgency' ? choice(code) : field(code)}
                          </option>
                        ))}
                      </select>
                    ) : f.name === 'requestedBy' ? (
                      <input
                        id={id}
                        type="datetime-local"
                        name={f.name}
                        required={f.required}
                        aria-describedby={describedBy}
                        value={(values[f.name] as string | undefined) ?? ''}
                        onInput={(event) => set(f.name, event.currentTarget.value)}
                      />
                    ) : SHORT.has(f.name) ? (
                      <input
                        id={id}
                        name={f.name}
                        required={f.required}
                        maxLength={1000}
                        aria-describedby={describedBy}
                        value={(values[f.name] as string | undefined) ?? ''}
                        onInput={(event) => set(f.name, event.currentTarget.value)}
                      />
                    ) : (
                      <textarea
                        id={id}
                        name={f.name}
                        required={f.required}
                        maxLength={4000}
                        aria-describedby={describedBy}
                        value={(values[f.name] as string | undefined) ?? ''}
                        onInput={(event) => set(f.name, event.currentTarget.value)}
                      />
                    )
                  }
                </Field>
              );
            })}
            {structured.length > 0 && (
              <p class="muted">{t('structuredViaApi', { names: structured.join(', ') })}</p>
            )}
            <p class="muted small">* {common('required')}</p>
          </>
        )}
      </Await>
    </ActionForm>
  );
}
