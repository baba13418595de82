import { useEffect, useState } from 'preact/hooks';
import { useApi } from '../api';
import { formatBytes, formatTime, useLang, useT } from '../i18n';
import { commonMessages } from '../messages/common';
import { disclosedFactMessages, disclosureMessages } from '../messages/disclosures';
import { orderKindMessages } from '../messages/orders';
import { Announce, OrderStatus, Time, useLabels, useRoles } from '../parts';
import { Link } from '../router';
import {
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
import { LegalBasis, type OrderView } from './orders';
import '../verify-result.css';
import './pages.css';

/** A disclosure as `GET /v1/disclosures[/:id]` shows it; `caseId` and `createdBy` only to the case's members. */
interface DisclosureView {
  readonly id: string;
  readonly caseId?: string;
  readonly recipientAgency: string;
  readonly orderId: string | null;
  /** The authorising order, where the reader may know it. */
  readonly order?: OrderSummary;
  readonly conditions: string | null;
  readonly facts: readonly string[];
  readonly evidenceIds: readonly string[];
  readonly createdBy?: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** What a disclosure says of its authorising order, to a reader who may know that order. */
type OrderSummary = Pick<OrderView, 'id' | 'registryNumber' | 'kind' | 'legalBasis' | 'status'>;

type Direction = 'sent' | 'received';

/** Disclosures sent from the caller's cases, and those its agency received (a partner's packages). */
export function DisclosuresPage() {
  const t = useT(disclosureMessages);
  const roles = useRoles();
  const receives = roles.has('partner');
  const sends = ['investigator', 'prosecutor', 'auditor', 'court'].some((role) => roles.has(role));
  const [direction, setDirection] = useState<Direction>(receives && !sends ? 'received' : 'sent');
  const api = useApi();
  const list = usePaged(
    (cursor) => api.get<PageOf<DisclosureView>>('/v1/disclosures', { direction, limit: 25, cursor }),
    [direction],
  );
  return (
    <Page title={direction === 'received' ? t('titleReceived') : t('titleSent')}>
      <p class="muted">{direction === 'received' ? t('introReceived') : t('introSent')}</p>
      {receives && sends && (
        <div class="filters">
          <Field label={t('show')}>
            {(id) => (
              <select
                id={id}
                value={direction}
                onChange={(event) => setDirection(event.currentTarget.value as Direction)}
              >
                <option value="sent">{t('sent')}</option>
                <option value="received">{t('received')}</option>
              </select>
            )}
          </Field>
        </div>
      )}
      <Await loaded={{ data: list.items, error: list.error }}>
        {(items) =>
          items.length === 0 ? (
            <Empty />
          ) : (
            <>
              <DisclosureTable items={items} />
              <MoreButton hasMore={list.hasMore} loadMore={list.loadMore} />
            </>
          )
        }
      </Await>
    </Page>
  );
}

function DisclosureTable(props: { items: readonly DisclosureView[] }) {
  const t = useT(disclosureMessages);
  const common = useT(commonMessages);
  return (
    <Table
      label={t('list')}
      testId="disclosures-list"
      caption
      headers={[t('created'), t('recipient'), t('legalBasis'), t('conditions'), t('items'), common('status')]}
    >
      {props.items.map((item) => (
        <tr
          key={item.id}
          data-testid="disclosure-row"
          data-disclosure-id={item.id}
          data-status={item.revokedAt ? 'revoked' : 'active'}
        >
          <td>
            <Link href={`/disclosures/${item.id}`}>
              <Time at={item.createdAt} />
            </Link>
          </td>
          <td class="nowrap">{item.recipientAgency}</td>
          <td>
            <OrderBasis orderId={item.orderId} order={item.order} />
          </td>
          <td class="clip">{item.conditions ?? <span class="muted">{t('noConditions')}</span>}</td>
          <td class="num">{item.evidenceIds.length}</td>
          <td>
            <DisclosureStatus item={item} />
          </td>
        </tr>
      ))}
    </Table>
  );
}

function DisclosureStatus(props: { item: DisclosureView }) {
  const t = useT(disclosureMessages);
  return props.item.revokedAt ? (
    <Chip value="revoked" tone="bad" label={t('revoked')} />
  ) : (
    <Chip value="active" tone="ok" label={t('active')} />
  );
}

/** The kind and legal basis of the order a disclosure names, linked to it; its id where it is not shared. */
function OrderBasis(props: { orderId: string | null; order: OrderSummary | undefined }) {
  const t = useT(disclosureMessages);
  const kind = useLabels(orderKindMessages);
  if (!props.orderId) return <span class="muted">{t('noOrder')}</span>;
  const { order } = props;
  return (
    <Link href={`/orders/${props.orderId}`}>
      {order ? (
        <>
          {kind(order.kind)} · <LegalBasis basis={order.legalBasis} />
        </>
      ) : (
        <ShortId id={props.orderId} />
      )}
    </Link>
  );
}

/** One disclosure: its facts, conditions and legal basis, its package, and for a prosecutor its revocation. */
export function DisclosurePage(props: { id: string }) {
  const t = useT(disclosureMessages);
  const api = useApi();
  const loaded = useLoad(
    () =>
      api
        .get<{ disclosure: DisclosureView }>(`/v1/disclosures/${encodeURIComponent(props.id)}`)
        .then((body) => body.disclosure),
    [props.id],
  );
  const [announced, setAnnounced] = useState('');
  return (
    <Page title={t('disclosure')} actions={loaded.data && <DisclosureStatus item={loaded.data} />}>
      <Announce>{announced}</Announce>
      <Await loaded={loaded}>
        {(disclosure) => (
          <div data-testid="disclosure" data-disclosure-id={disclosure.id}>
            {disclosure.revokedAt && <RevokedNote at={disclosure.revokedAt} />}
            <div class="grid">
              <DisclosureFacts disclosure={disclosure} />
              <DisclosureOrder orderId={disclosure.orderId} order={disclosure.order} />
            </div>
            {!disclosure.revokedAt && <Package id={disclosure.id} />}
            {!disclosure.revokedAt && disclosure.caseId && (
              <Revoke
                id={disclosure.id}
                onRevoked={() => {
                  setAnnounced(t('revokedDone'));
                  loaded.reload();
                }}
              />
            )}
          </div>
        )}
      </Await>
    </Page>
  );
}

function RevokedNote(props: { at: string }) {
  const t = useT(disclosureMessages);
  const lang = useLang();
  return <p class="notice warn">{t('revokedNote', { at: formatTime(lang, props.at) })}</p>;
}

function DisclosureFacts(props: { disclosure: DisclosureView }) {
  const t = useT(disclosureMessages);
  const fact = useLabels(disclosedFactMessages);
  const { disclosure } = props;
  return (
    <section class="card" aria-labelledby="disclosure-facts">
      <h2 id="disclosure-facts">{t('facts')}</h2>
      <dl class="facts wrap">
        <dt>{t('created')}</dt>
        <dd>
          <Time at={disclosure.createdAt} />
        </dd>
        <dt>{t('recipient')}</dt>
        <dd>{disclosure.recipientAgency}</dd>
        {disclosure.caseId && (
          <>
            <dt>{t('case')}</dt>
            <dd>
              <Link href={`/cases/${disclosure.caseId}`}>
                <ShortId id={disclosure.caseId} />
              </Link>
            </dd>
          </>
        )}
        {disclosure.createdBy && (
          <>
            <dt>{t('createdBy')}</dt>
            <dd>{disclosure.createdBy}</dd>
          </>
        )}
        <dt>{t('conditions')}</dt>
        <dd class="pre">{disclosure.conditions ?? <span class="muted">{t('noConditions')}</span>}</dd>
        <dt>{t('factsGiven')}</dt>
        <dd>{disclosure.facts.length > 0 ? disclosure.facts.map(fact).join(', ') : t('factsNone')}</dd>
        <dt>{t('items')}</dt>
        <dd>
          <ul class="plain" data-testid="disclosure-items">
            {disclosure.evidenceIds.map((id) => (
              <li key={id} data-evidence-id={id}>
                {disclosure.caseId ? (
                  <Link href={`/evidence/${id}`}>
                    <ShortId id={id} />
                  </Link>
                ) : (
                  <ShortId id={id} />
                )}
              </li>
            ))}
          </ul>
        </dd>
        {disclosure.revokedAt && (
          <>
            <dt>{t('revokedAt')}</dt>
            <dd>
              <Time at={disclosure.revokedAt} />
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function DisclosureOrder(props: { orderId: string | null; order: OrderSummary | undefined }) {
  const t = useT(disclosureMessages);
  const kind = useLabels(orderKindMessages);
  const { order } = props;
  return (
    <section class="card" aria-labelledby="disclosure-order" data-testid="disclosure-order">
      <h2 id="disclosure-order">{t('legalBasis')}</h2>
      {!props.orderId ? (
        <p class="muted">{t('noOrder')}</p>
      ) : (
        <dl class="facts wrap">
          <dt>{t('order')}</dt>
          <dd>
            <Link href={`/orders/${props.orderId}`}>
              {order?.registryNumber ?? <ShortId id={props.orderId} />}
            </Link>
          </dd>
          {order ? (
            <>
              <dt>{t('orderKind')}</dt>
              <dd>{kind(order.kind)}</dd>
              <dt>{t('legalBasis')}</dt>
              <dd>
                <LegalBasis basis={order.legalBasis} />
              </dd>
              <dt>{t('orderStatus')}</dt>
              <dd>
                <OrderStatus status={order.status} />
              </dd>
            </>
          ) : (
            <dd class="muted">{t('orderUnavailable')}</dd>
          )}
        </dl>
      )}
    </section>
  );
}

/**
 * Where a downloaded package is checked: the verifier (web/verify, with
 * pdf-lib) is loaded only once there is a package to check, so the console's
 * first load stays small.
 */
function PackageCheckSlot(props: { blob: Blob | undefined; name: string }) {
  const t = useT(disclosureMessages);
  const [loaded, setLoaded] = useState<typeof import('../package-check')>();
  const [failed, setFailed] = useState<unknown>();
  useEffect(() => {
    if (props.blob && !loaded) import('../package-check').then(setLoaded, setFailed);
  }, [props.blob, loaded]);
  if (!props.blob || !loaded) {
    return (
      <div class="verify-slot" data-testid="package-verify-slot">
        {failed ? <ProblemMessage error={failed} /> : <p class="muted">{t('verifyWaiting')}</p>}
      </div>
    );
  }
  return <loaded.PackageCheck blob={props.blob} name={props.name} />;
}

function Package(props: { id: string }) {
  const t = useT(disclosureMessages);
  const lang = useLang();
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  // The package itself, kept for the verifier, and an object URL for saving it.
  const [pkg, setPkg] = useState<{ blob: Blob; url: string }>();
  useEffect(() => () => pkg && URL.revokeObjectURL(pkg.url), [pkg]);
  const name = `disclosure-${props.id}.zip`;
  const download = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const blob = await api.blob(`/v1/disclosures/${encodeURIComponent(props.id)}/package`);
      setPkg({ blob, url: URL.createObjectURL(blob) });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="disclosure-package" data-testid="disclosure-package">
      <h2 id="disclosure-package">{t('package')}</h2>
      <p class="muted">{t('packageIntro')}</p>
      <div class="row-actions">
        <button type="button" class="primary" disabled={busy} aria-busy={busy} onClick={download}>
          {t('download')}
        </button>
        {pkg && (
          <a href={pkg.url} download={name} data-testid="package-save">
            {t('save', { name })}
          </a>
        )}
      </div>
      <p role="status" aria-live="polite" class="muted">
        {busy ? t('downloading') : pkg ? t('downloaded', { size: formatBytes(lang, pkg.blob.size) }) : ''}
      </p>
      <ProblemMessage error={error} />
      <h3>{t('verifyTitle')}</h3>
      <p class="muted">{t('verifyIntro')}</p>
      <PackageCheckSlot blob={pkg?.blob} name={name} />
    </section>
  );
}

function Revoke(props: { id: string; onRevoked: () => void }) {
  const t = useT(disclosureMessages);
  const api = useApi();
  const roles = useRoles();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  if (!roles.has('prosecutor')) return null;
  return (
    <section class="card" aria-labelledby="disclosure-revoke">
      <h2 id="disclosure-revoke" class="visually-hidden">
        {t('revoke')}
      </h2>
      {!asking ? (
        <button type="button" class="danger" onClick={() => setAsking(true)} data-testid="revoke-disclosure">
          {t('revoke')}
        </button>
      ) : (
        <fieldset class="confirm">
          <legend>{t('revokeTitle')}</legend>
          <p>{t('revokeText')}</p>
          <ProblemMessage error={error} />
          <div class="row-actions">
            <button
              type="button"
              class="danger"
              disabled={busy}
              aria-busy={busy}
              data-testid="revoke-confirm"
              onClick={async () => {
                setBusy(true);
                setError(undefined);
                try {
                  await api.delete(`/v1/disclosures/${encodeURIComponent(props.id)}`);
                  setAsking(false);
                  props.onRevoked();
                } catch (failure) {
                  setError(failure);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {t('revokeConfirm')}
            </button>
            <button type="button" onClick={() => setAsking(false)}>
              {t('cancel')}
            </button>
          </div>
        </fieldset>
      )}
    </section>
  );
}
