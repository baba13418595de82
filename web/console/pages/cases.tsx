import { useState } from 'preact/hooks';
import { useApi } from '../api';
import { formatBytes, formatTime, useLang, useT } from '../i18n';
import { casesMessages } from '../messages/cases';
import { commonMessages } from '../messages/common';
import { Link, navigate } from '../router';
import { checkWriteReceipt, loadTrust } from '../trust';
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
  text,
  useLoad,
  usePaged,
} from '../ui';
import { type Uploaded, UploadPanel } from '../upload';
import { roleName } from '../words';

export interface CaseView {
  readonly id: string;
  readonly reference: string;
  readonly title: string;
  readonly legalBasis: string | null;
  readonly agency: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface EvidenceView {
  readonly id: string;
  readonly caseId: string;
  readonly exhibitNumber: string;
  readonly description: string;
  readonly size: number;
  readonly acquiredAt: string;
  readonly custody: { readonly status: string; readonly sealed: boolean; readonly onHold: boolean };
}

interface OrderRow {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly direction: string;
  readonly deadlines?: Readonly<Record<string, string | null>>;
}

interface DisclosureRow {
  readonly id: string;
  readonly recipientAgency: string;
  readonly orderId: string | null;
  readonly conditions: string | null;
  readonly evidenceIds: readonly string[];
  readonly createdAt?: string;
}

const CUSTODY_TONE: Record<string, 'ok' | 'warn' | 'bad' | 'info'> = {
  in_custody: 'ok',
  in_transit: 'warn',
  released: 'info',
  disposed: 'bad',
};

export function CustodyChip(props: { status: string }) {
  const t = useT(casesMessages);
  const key = `status_${props.status}` as keyof typeof casesMessages.en;
  return (
    <Chip
      value={props.status}
      label={casesMessages.en[key] ? t(key) : props.status}
      tone={CUSTODY_TONE[props.status]}
    />
  );
}

/** The cases the signed-in principal may see (the API decides), searchable; investigators open new ones here. */
export function CasesPage() {
  const t = useT(casesMessages);
  const lang = useLang();
  const api = useApi();
  const [query, setQuery] = useState('');
  const cases = usePaged(
    (cursor) => api.get<PageOf<CaseView>>('/v1/cases', { q: query || undefined, cursor, limit: 25 }),
    [query],
  );
  const mayOpen = api.principal.roles.includes('investigator');
  return (
    <Page title={t('casesTitle')}>
      <form
        class="search"
        aria-label={t('search')}
        onSubmit={(event) => {
          event.preventDefault();
          setQuery(String(new FormData(event.currentTarget).get('q') ?? '').trim());
        }}
      >
        <label class="visually-hidden" for="case-search">
          {t('search')}
        </label>
        <input id="case-search" name="q" type="search" maxLength={200} placeholder={t('searchHint')} />
        <button type="submit">{t('searchButton')}</button>
      </form>
      <Await loaded={{ data: cases.items, error: cases.error }}>
        {(items) =>
          items.length === 0 ? (
            <Empty />
          ) : (
            <Table
              label={t('casesList')}
              testId="cases"
              headers={[t('reference'), t('title'), t('legalBasis'), t('agency'), t('openedBy')]}
            >
              {items.map((one) => (
                <tr key={one.id} data-testid="case-row" data-case-id={one.id}>
                  <td>
                    <Link href={`/cases/${one.id}`}>{one.reference}</Link>
                  </td>
                  <td>{one.title}</td>
                  <td>{one.legalBasis ?? '—'}</td>
                  <td>{one.agency}</td>
                  <td>
                    {one.createdBy}
                    <br />
                    <small class="muted">{formatTime(lang, one.createdAt)}</small>
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </Await>
      <MoreButton hasMore={cases.hasMore} loadMore={cases.loadMore} />
      {mayOpen && (
        <details class="card">
          <summary>{t('openCase')}</summary>
          <ActionForm
            label={t('openCase')}
            submit={t('open')}
            action={async (data) => {
              const legalBasis = text(data, 'legalBasis');
              const opened = await api.post<{ case: CaseView }>('/v1/cases', {
                reference: text(data, 'reference'),
                title: text(data, 'title'),
                ...(legalBasis ? { legalBasis } : {}),
              });
              navigate(`/cases/${opened.case.id}`);
            }}
          >
            <div class="row">
              <Field label={t('reference')} required>
                {(id) => <input id={id} name="reference" required maxLength={128} />}
              </Field>
              <Field label={t('title')} required>
                {(id) => <input id={id} name="title" required maxLength={500} />}
              </Field>
              <Field label={t('legalBasis')}>
                {(id) => <input id={id} name="legalBasis" maxLength={500} />}
              </Field>
            </div>
          </ActionForm>
        </details>
      )}
    </Page>
  );
}

/** One case: its facts, its evidence (with the upload), its orders and disclosures, and sharing it. */
export function CasePage(props: { id: string }) {
  const t = useT(casesMessages);
  const common = useT(commonMessages);
  const lang = useLang();
  const api = useApi();
  const [notice, setNotice] = useState<{ text: string; tone: 'ok' | 'warn' }>();
  const roles = api.principal.roles;
  const found = useLoad(() => api.get<{ case: CaseView }>(`/v1/cases/${props.id}`), [props.id]);
  const evidence = usePaged(
    (cursor) => api.get<PageOf<EvidenceView>>(`/v1/cases/${props.id}/evidence`, { cursor, limit: 25 }),
    [props.id],
  );
  const orders = useLoad(
    () => api.get<PageOf<OrderRow>>('/v1/orders', { caseId: props.id, limit: 100 }),
    [props.id],
  );
  // A disclosure abroad is made under a request this side executed, which need not name the case.
  const executed = useLoad(
    () =>
      roles.includes('prosecutor')
        ? api.get<PageOf<OrderRow>>('/v1/orders', { status: 'executed', sort: 'newest', limit: 100 })
        : Promise.resolve({ items: [], nextCursor: null }),
    [props.id],
  );
  const disclosures = usePaged(
    (cursor) => api.get<PageOf<DisclosureRow>>('/v1/disclosures', { caseId: props.id, cursor, limit: 25 }),
    [props.id],
  );
  const uploaded = async (done: Uploaded) => {
    const verdict = checkWriteReceipt(done.receipt, await loadTrust());
    setNotice(
      verdict.valid
        ? { text: t('uploaded', { exhibit: done.evidence.exhibitNumber }), tone: 'ok' }
        : {
            text: t('uploadedUnverified', { exhibit: done.evidence.exhibitNumber, code: verdict.code ?? '' }),
            tone: 'warn',
          },
    );
    evidence.reload();
  };

  if (found.error) return <ProblemMessage error={found.error} />;
  const theCase = found.data?.case;
  return (
    <Page title={theCase ? `${theCase.reference} · ${theCase.title}` : '…'}>
      {notice && (
        <div class={`notice ${notice.tone === 'warn' ? 'warn' : ''}`} role="status" data-testid="case-notice">
          {notice.text}
        </div>
      )}
      {theCase && (
        <div class="card">
          <dl class="facts">
            <dt>{t('legalBasis')}</dt>
            <dd>{theCase.legalBasis ?? '—'}</dd>
            <dt>{t('agency')}</dt>
            <dd>{theCase.agency}</dd>
            <dt>{t('openedBy')}</dt>
            <dd>
              {theCase.createdBy}, {formatTime(lang, theCase.createdAt)}
            </dd>
          </dl>
        </div>
      )}

      <h2>{t('evidence')}</h2>
      <Await loaded={{ data: evidence.items, error: evidence.error }}>
        {(items) => (items.length === 0 ? <Empty /> : <EvidenceTable items={items} />)}
      </Await>
      <MoreButton hasMore={evidence.hasMore} loadMore={evidence.loadMore} />
      {roles.includes('investigator') && (
        <UploadPanel caseId={props.id} defaultAcquiredBy={api.principal.sub} onUploaded={uploaded} />
      )}

      <h2>{t('orders')}</h2>
      <Await loaded={orders}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty />
          ) : (
            <Table
              label={t('orders')}
              testId="case-orders"
              headers={[t('order'), t('kind'), common('status')]}
            >
              {page.items.map((order) => (
                <tr key={order.id}>
                  <td>
                    <Link href={`/orders/${order.id}`}>
                      <ShortId id={order.id} />
                    </Link>
                  </td>
                  <td>{order.kind}</td>
                  <td>
                    <Chip value={order.status} />
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </Await>

      <h2>{t('disclosures')}</h2>
      <Await loaded={{ data: disclosures.items, error: disclosures.error }}>
        {(items) =>
          items.length === 0 ? (
            <Empty />
          ) : (
            <Table
              label={t('disclosures')}
              testId="case-disclosures"
              headers={[t('recipient'), t('order'), t('items'), t('conditions')]}
            >
              {items.map((one) => (
                <tr key={one.id}>
                  <td>
                    <Link href={`/disclosures/${one.id}`}>{one.recipientAgency}</Link>
                  </td>
                  <td>{one.orderId ? <ShortId id={one.orderId} /> : '—'}</td>
                  <td class="num">{one.evidenceIds.length}</td>
                  <td>{one.conditions ?? '—'}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </Await>
      <MoreButton hasMore={disclosures.hasMore} loadMore={disclosures.loadMore} />

      <div class="grid">
        {roles.includes('prosecutor') && (
          <DiscloseForm
            caseId={props.id}
            items={evidence.items ?? []}
            orders={[...(orders.data?.items ?? []), ...(executed.data?.items ?? [])].filter(
              (order, i, all) => all.findIndex((other) => other.id === order.id) === i,
            )}
            onDone={() => {
              setNotice({ text: t('disclosed'), tone: 'ok' });
              disclosures.reload();
            }}
          />
        )}
        {(roles.includes('prosecutor') || roles.includes('investigator')) && (
          <ShareForm
            caseId={props.id}
            onDone={(who) => setNotice({ text: t('granted', { who }), tone: 'ok' })}
          />
        )}
      </div>
    </Page>
  );
}

export function EvidenceTable(props: { items: readonly EvidenceView[] }) {
  const t = useT(casesMessages);
  const lang = useLang();
  return (
    <Table
      label={t('evidence')}
      testId="evidence"
      headers={[t('exhibit'), t('description'), t('size'), t('custody'), t('acquired')]}
    >
      {props.items.map((item) => (
        <tr key={item.id} data-testid="evidence-row" data-evidence-id={item.id}>
          <td>
            <Link href={`/evidence/${item.id}`}>{item.exhibitNumber}</Link>
          </td>
          <td>{item.description}</td>
          <td class="num">{formatBytes(lang, item.size)}</td>
          <td>
            <CustodyChip status={item.custody.status} />
          </td>
          <td>{formatTime(lang, item.acquiredAt)}</td>
        </tr>
      ))}
    </Table>
  );
}

function DiscloseForm(props: {
  caseId: string;
  items: readonly EvidenceView[];
  orders: readonly OrderRow[];
  onDone: () => void;
}) {
  const t = useT(casesMessages);
  const api = useApi();
  return (
    <ActionForm
      label={t('disclose')}
      submit={t('disclose')}
      action={async (data) => {
        const orderId = text(data, 'orderId');
        const conditions = text(data, 'conditions');
        await api.post(`/v1/cases/${props.caseId}/disclosures`, {
          recipientAgency: text(data, 'recipientAgency'),
          evidenceIds: data.getAll('evidenceIds').map(String),
          ...(orderId ? { orderId } : {}),
          ...(conditions ? { conditions } : {}),
        });
        props.onDone();
      }}
    >
      <h2>{t('disclose')}</h2>
      <p class="muted">{t('discloseHint')}</p>
      <Field label={t('recipientAgency')} required>
        {(id) => <input id={id} name="recipientAgency" required pattern="[A-Z0-9][A-Z0-9\-]{1,31}" />}
      </Field>
      <fieldset>
        <legend>{t('chooseItems')}</legend>
        {props.items.map((item) => (
          <label key={item.id} class="check-row">
            <input type="checkbox" name="evidenceIds" value={item.id} /> {item.exhibitNumber} —{' '}
            {item.description}
          </label>
        ))}
      </fieldset>
      <Field label={t('order')}>
        {(id) => (
          <select id={id} name="orderId">
            <option value="">{t('noOrder')}</option>
            {props.orders.map((order) => (
              <option key={order.id} value={order.id}>
                {order.kind} · {order.status} · {order.id.slice(0, 8)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('conditions')}>{(id) => <textarea id={id} name="conditions" maxLength={4000} />}</Field>
    </ActionForm>
  );
}

const GRANTABLE_ROLES = ['investigator', 'custodian', 'prosecutor', 'court', 'auditor'] as const;

function ShareForm(props: { caseId: string; onDone: (who: string) => void }) {
  const t = useT(casesMessages);
  const lang = useLang();
  const api = useApi();
  return (
    <ActionForm
      label={t('share')}
      submit={t('share')}
      action={async (data) => {
        const sub = text(data, 'sub');
        const until = text(data, 'until');
        await api.post(`/v1/cases/${props.caseId}/grants`, {
          agency: text(data, 'agency'),
          role: text(data, 'role'),
          ...(sub ? { sub } : {}),
          ...(until ? { until: new Date(until).toISOString() } : {}),
          ...(data.get('content') ? { content: true } : {}),
        });
        props.onDone(sub ? `${sub} (${text(data, 'agency')})` : text(data, 'agency'));
      }}
    >
      <h2>{t('share')}</h2>
      <p class="muted">{t('shareHint')}</p>
      <div class="row">
        <Field label={t('granteeAgency')} required>
          {(id) => <input id={id} name="agency" required pattern="[A-Z0-9][A-Z0-9\-]{1,31}" />}
        </Field>
        <Field label={t('granteeSub')} hint={t('granteeSubHint')}>
          {(id, hint) => <input id={id} name="sub" maxLength={255} aria-describedby={hint} />}
        </Field>
        <Field label={t('role')} required>
          {(id) => (
            <select id={id} name="role" required>
              {GRANTABLE_ROLES.map((role) => (
                <option key={role} value={role}>
                  {roleName(lang, role)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('until')}>{(id) => <input id={id} name="until" type="datetime-local" />}</Field>
      </div>
      <label class="check-row">
        <input type="checkbox" name="content" value="yes" /> {t('content')}
      </label>
    </ActionForm>
  );
}
