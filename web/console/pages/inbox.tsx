import { useEffect, useRef, useState } from 'preact/hooks';
import { useApi } from '../api';
import { formatBytes, useLang, useT } from '../i18n';
import { inboxMessages } from '../messages/inbox';
import { Announce, Time } from '../parts';
import { Link } from '../router';
import { ActionForm, Await, Field, MoreButton, Page, type PageOf, ShortId, Table, usePaged } from '../ui';
import './pages.css';

interface Party {
  readonly agency: string;
  readonly sub: string | null;
}

/** One row of `GET /v1/transfers`: the item in transit and when it was sent. */
interface Transfer {
  readonly evidence: {
    readonly id: string;
    readonly caseId: string;
    readonly exhibitNumber: string;
    readonly description: string;
    readonly size: number;
    readonly custody: {
      readonly status: string;
      /** While in transit: the side that sent it. */
      readonly holder: Party;
      readonly transferTo: Party | null;
      readonly sealed: boolean;
      readonly sealNumber: string | null;
    };
  };
  readonly transferredAt: string;
  /** The transfer's stated purpose: given to the case's members, withheld from a receiver outside the case. */
  readonly purpose?: string;
}

const party = (who: Party | null | undefined) =>
  who ? [who.sub, who.agency].filter(Boolean).join(' · ') : '—';

/** The custodian's transfers awaiting acknowledgement, and those its side sent that await the other side. */
export function InboxPage() {
  const t = useT(inboxMessages);
  const api = useApi();
  const incoming = usePaged(
    (cursor) => api.get<PageOf<Transfer>>('/v1/transfers', { side: 'receiving', limit: 25, cursor }),
    [],
  );
  const sent = usePaged(
    (cursor) => api.get<PageOf<Transfer>>('/v1/transfers', { side: 'sending', limit: 25, cursor }),
    [],
  );
  // Acknowledged here: they leave the list at once, before any reload.
  const [done, setDone] = useState<ReadonlySet<string>>(new Set());
  const [announced, setAnnounced] = useState('');
  return (
    <Page title={t('title')}>
      <p class="muted">{t('intro')}</p>
      <Announce>{announced}</Announce>
      <section aria-labelledby="inbox-incoming">
        <h2 id="inbox-incoming">{t('incoming')}</h2>
        <Await loaded={{ data: incoming.items, error: incoming.error }}>
          {(items) => {
            const open = items.filter((row) => !done.has(row.evidence.id));
            return open.length === 0 ? (
              <p class="muted empty" data-testid="inbox-empty">
                {t('nothingIncoming')}
              </p>
            ) : (
              <>
                <ul class="plain" data-testid="inbox-list" aria-label={t('incomingList')}>
                  {open.map((row) => (
                    <IncomingRow
                      key={row.evidence.id}
                      row={row}
                      onAcknowledged={() => {
                        setDone(new Set([...done, row.evidence.id]));
                        setAnnounced(t('acknowledged', { exhibit: row.evidence.exhibitNumber }));
                      }}
                    />
                  ))}
                </ul>
                <MoreButton hasMore={incoming.hasMore} loadMore={incoming.loadMore} />
              </>
            );
          }}
        </Await>
      </section>
      <section aria-labelledby="inbox-sent">
        <h2 id="inbox-sent">{t('sent')}</h2>
        <p class="muted">{t('sentIntro')}</p>
        <Await loaded={{ data: sent.items, error: sent.error }}>
          {(items) =>
            items.length === 0 ? (
              <p class="muted empty">{t('nothingSent')}</p>
            ) : (
              <>
                <SentTable items={items} />
                <MoreButton hasMore={sent.hasMore} loadMore={sent.loadMore} />
              </>
            )
          }
        </Await>
      </section>
    </Page>
  );
}

function IncomingRow(props: { row: Transfer; onAcknowledged: () => void }) {
  const t = useT(inboxMessages);
  const lang = useLang();
  const api = useApi();
  const { evidence } = props.row;
  const exhibit = evidence.exhibitNumber;
  const [open, setOpen] = useState(false);
  const [purpose, setPurpose] = useState('');
  const [location, setLocation] = useState('');
  const [sealNumber, setSealNumber] = useState('');
  const [sealCondition, setSealCondition] = useState('');
  const headingId = `inbox-${evidence.id}`;
  // Opening the form takes the reader to its first field.
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (open) first.current?.focus();
  }, [open]);
  return (
    <li class="row-card" data-testid="inbox-row" data-evidence-id={evidence.id} aria-labelledby={headingId}>
      <div class="row-head">
        <h3 id={headingId}>{exhibit}</h3>
        <span class="muted">
          {t('sentAt')}: <Time at={props.row.transferredAt} />
        </span>
      </div>
      <dl class="facts wrap">
        <dt>{t('description')}</dt>
        <dd>{evidence.description}</dd>
        <dt>{t('from')}</dt>
        <dd>{party(evidence.custody.holder)}</dd>
        {props.row.purpose && (
          <>
            <dt>{t('purpose')}</dt>
            <dd>{props.row.purpose}</dd>
          </>
        )}
        <dt>{t('seal')}</dt>
        <dd>{evidence.custody.sealed ? (evidence.custody.sealNumber ?? '—') : t('unsealed')}</dd>
        <dt>{t('size')}</dt>
        <dd>{formatBytes(lang, evidence.size)}</dd>
      </dl>
      <div class="row-actions">
        <button
          type="button"
          class={open ? '' : 'primary'}
          aria-label={t('acknowledgeOf', { exhibit })}
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          {t('acknowledge')}
        </button>
        <Link href={`/evidence/${evidence.id}`}>
          <span aria-hidden="true">{t('openItemShort')}</span>
          <span class="visually-hidden">{t('openItem', { exhibit })}</span>
        </Link>
      </div>
      {open && (
        <ActionForm
          label={t('ackForm', { exhibit })}
          submit={t('ackSubmit')}
          class="inner"
          action={async () => {
            await api.post(`/v1/evidence/${evidence.id}/events`, {
              type: 'custody.received',
              purpose: purpose.trim(),
              ...(location.trim() ? { location: location.trim() } : {}),
              ...(sealNumber.trim() ? { sealNumber: sealNumber.trim() } : {}),
              ...(sealCondition.trim() ? { sealCondition: sealCondition.trim() } : {}),
            });
            props.onAcknowledged();
          }}
        >
          <Field label={t('ackPurpose')} hint={t('ackPurposeHint')} required>
            {(id, describedBy) => (
              <input
                id={id}
                ref={first}
                required
                maxLength={1000}
                aria-describedby={describedBy}
                value={purpose}
                onInput={(event) => setPurpose(event.currentTarget.value)}
              />
            )}
          </Field>
          <div class="row">
            <Field label={t('ackLocation')} hint={t('ackLocationHint')}>
              {(id, describedBy) => (
                <input
                  id={id}
                  maxLength={1000}
                  aria-describedby={describedBy}
                  value={location}
                  onInput={(event) => setLocation(event.currentTarget.value)}
                />
              )}
            </Field>
            {evidence.custody.sealed && (
              <>
                <Field label={t('ackSealNumber')}>
                  {(id) => (
                    <input
                      id={id}
                      maxLength={64}
                      placeholder={evidence.custody.sealNumber ?? undefined}
                      value={sealNumber}
                      onInput={(event) => setSealNumber(event.currentTarget.value)}
                    />
                  )}
                </Field>
                <Field label={t('ackSealCondition')} hint={t('ackSealConditionHint')}>
                  {(id, describedBy) => (
                    <input
                      id={id}
                      maxLength={1000}
                      aria-describedby={describedBy}
                      value={sealCondition}
                      onInput={(event) => setSealCondition(event.currentTarget.value)}
                    />
                  )}
                </Field>
              </>
            )}
          </div>
          <button type="button" class="link" onClick={() => setOpen(false)}>
            {t('cancel')}
          </button>
        </ActionForm>
      )}
    </li>
  );
}

function SentTable(props: { items: readonly Transfer[] }) {
  const t = useT(inboxMessages);
  return (
    <Table
      label={t('sentList')}
      testId="inbox-sent"
      caption
      headers={[t('exhibit'), t('description'), t('to'), t('purpose'), t('sentAt')]}
    >
      {props.items.map((row) => (
        <tr key={row.evidence.id} data-testid="inbox-sent-row" data-evidence-id={row.evidence.id}>
          <td>
            <Link href={`/evidence/${row.evidence.id}`}>
              {row.evidence.exhibitNumber || <ShortId id={row.evidence.id} />}
            </Link>
          </td>
          <td>{row.evidence.description}</td>
          <td>{party(row.evidence.custody.transferTo)}</td>
          <td>{row.purpose ?? '—'}</td>
          <td>
            <Time at={row.transferredAt} />
          </td>
        </tr>
      ))}
    </Table>
  );
}
