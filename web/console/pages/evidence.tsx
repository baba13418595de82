import { useEffect, useState } from 'preact/hooks';
import { parseVerifierKey } from '../../../src/ledger';
import { verifyReport } from '../../../src/verify';
import { useApi } from '../api';
import { formatBytes, formatTime, LANGS, type Lang, useLang, useT } from '../i18n';
import { commonMessages } from '../messages/common';
import { evidenceMessages } from '../messages/evidence';
import { Link } from '../router';
import {
  checkEntryReceipt,
  checkWriteReceipt,
  type EntryCheck,
  type LogTrust,
  loadTrust,
  pinLogKey,
} from '../trust';
import { ActionForm, Await, Chip, Field, Page, ProblemMessage, text, useLoad } from '../ui';
import { entryTypeName, fieldName, roleName } from '../words';
import { CustodyChip } from './cases';

interface Party {
  readonly agency: string;
  readonly sub?: string;
}

interface ItemView {
  readonly id: string;
  readonly caseId: string;
  readonly exhibitNumber: string;
  readonly description: string;
  readonly source: string;
  readonly acquiredAt: string;
  readonly acquiredBy: string;
  readonly acquisitionTool: string | null;
  readonly location: string | null;
  readonly originalFilename: string | null;
  readonly size: number;
  readonly digests: { readonly sha256: string; readonly sha512: string };
  readonly custody: {
    readonly status: string;
    readonly holder: Party | null;
    readonly transferTo: Party | null;
    readonly sealed: boolean;
    readonly sealNumber: string | null;
    readonly onHold: boolean;
  };
}

interface ChainRow {
  readonly index: number;
  readonly leafHash: string;
  readonly entry: { readonly type: string; readonly at: string; readonly seq: number };
  readonly disclosures?: readonly string[];
  readonly receipt: string;
}

/** The handlings a person records from this page; the service decides which their role may record. */
const HANDLINGS = [
  'custody.transferred',
  'custody.sealed',
  'custody.unsealed',
  'custody.analysed',
  'custody.copied',
  'hold.set',
  'hold.lifted',
  'custody.released',
  'custody.returned',
  'custody.disposed',
] as const;
type Handling = (typeof HANDLINGS)[number];

const NEEDS_COUNTERPARTY = new Set<string>(['custody.transferred', 'custody.returned', 'custody.released']);
const NEEDS_SEAL = new Set<string>(['custody.sealed', 'custody.unsealed']);
const NEEDS_AUTHORITY = new Set<string>(['custody.disposed', 'custody.released', 'hold.set', 'hold.lifted']);

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** An entry's value as a reader reads it: times in their language, a party by name, the rest as written. */
function valueText(lang: Lang, value: unknown): string {
  if (typeof value === 'string' && INSTANT.test(value)) return formatTime(lang, value);
  if (typeof value === 'object' && value !== null && 'agency' in value) return party(value as Party);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function party(value: Party | null): string {
  return value ? (value.sub ? `${value.sub} (${value.agency})` : value.agency) : '—';
}

/** One item: what it is, where it is, its whole custody with every receipt checked here, and what may be done. */
export function EvidencePage(props: { id: string }) {
  const t = useT(evidenceMessages);
  const common = useT(commonMessages);
  const lang = useLang();
  const api = useApi();
  const [round, setRound] = useState(0);
  const [notice, setNotice] = useState<{ text: string; tone: 'ok' | 'warn' }>();
  const item = useLoad(() => api.get<{ evidence: ItemView }>(`/v1/evidence/${props.id}`), [props.id, round]);
  const chain = useLoad(
    () => api.get<{ entries: ChainRow[] }>(`/v1/evidence/${props.id}/chain`, { receipts: 'true' }),
    [props.id, round],
  );
  const trust = useLoad(loadTrust, []);

  const afterWrite = async (receipt: string) => {
    const verdict = checkWriteReceipt(receipt, trust.data ?? (await loadTrust()));
    setNotice(
      verdict.valid
        ? { text: t('recorded'), tone: 'ok' }
        : { text: t('recordedUnverified', { code: verdict.code ?? '' }), tone: 'warn' },
    );
    setRound((value) => value + 1);
  };

  if (item.error) return <ProblemMessage error={item.error} />;
  const view = item.data?.evidence;
  const me = api.principal;
  const toMe =
    view?.custody.status === 'in_transit' &&
    view.custody.transferTo?.agency === me.agency &&
    (view.custody.transferTo.sub === undefined || view.custody.transferTo.sub === me.sub);
  return (
    <Page title={view ? `${view.exhibitNumber} · ${view.description}` : '…'}>
      {notice && (
        <div
          class={`notice ${notice.tone === 'warn' ? 'warn' : ''}`}
          role="status"
          data-testid="evidence-notice"
        >
          {notice.text}
        </div>
      )}
      {view && (
        <div class="grid">
          <div class="card">
            <h2>{t('item')}</h2>
            <dl class="facts">
              <dt>{t('case')}</dt>
              <dd>
                <Link href={`/cases/${view.caseId}`}>{view.caseId.slice(0, 8)}</Link>
              </dd>
              <dt>{t('source')}</dt>
              <dd>{view.source}</dd>
              <dt>{t('acquired')}</dt>
              <dd>
                {formatTime(lang, view.acquiredAt)}, {view.acquiredBy}
              </dd>
              {view.acquisitionTool && (
                <>
                  <dt>{t('tool')}</dt>
                  <dd>{view.acquisitionTool}</dd>
                </>
              )}
              {view.location && (
                <>
                  <dt>{t('location')}</dt>
                  <dd>{view.location}</dd>
                </>
              )}
              {view.originalFilename && (
                <>
                  <dt>{t('fileName')}</dt>
                  <dd>{view.originalFilename}</dd>
                </>
              )}
              <dt>{t('size')}</dt>
              <dd>
                {formatBytes(lang, view.size)} ({view.size.toLocaleString(lang)} B)
              </dd>
              <dt>SHA-256</dt>
              <dd>
                <code data-testid="sha256">{view.digests.sha256}</code>
              </dd>
            </dl>
          </div>
          <div class="card">
            <h2>{t('custody')}</h2>
            <dl class="facts">
              <dt>{common('status')}</dt>
              <dd>
                <CustodyChip status={view.custody.status} />{' '}
                {view.custody.onHold && <Chip value="hold" label={t('onHold')} tone="warn" />}
              </dd>
              <dt>{t('holder')}</dt>
              <dd data-testid="holder">{party(view.custody.holder)}</dd>
              {view.custody.transferTo && (
                <>
                  <dt>{t('transferTo')}</dt>
                  <dd>{party(view.custody.transferTo)}</dd>
                </>
              )}
              {view.custody.sealed && (
                <>
                  <dt>{t('sealed')}</dt>
                  <dd>{t('seal', { number: view.custody.sealNumber ?? '' })}</dd>
                </>
              )}
            </dl>
            <ItemTools id={props.id} onFixity={() => setRound((value) => value + 1)} />
          </div>
        </div>
      )}

      {toMe && <AcknowledgeForm id={props.id} onDone={afterWrite} />}

      <h2>{t('timeline')}</h2>
      <p class="muted">{t('timelineHint')}</p>
      {trust.data?.replaced && <KeyChanged trust={trust.data} onAccept={trust.reload} />}
      <Await loaded={chain}>
        {(loaded) =>
          trust.data ? (
            <Timeline rows={loaded.entries} trust={trust.data} />
          ) : (
            <ProblemMessage error={trust.error} />
          )
        }
      </Await>

      <div class="grid">
        {(me.roles.includes('investigator') || me.roles.includes('custodian')) && view && (
          <HandlingForm id={props.id} onDone={afterWrite} />
        )}
        <ReportPanel id={props.id} trust={trust.data} />
      </div>
    </Page>
  );
}

function KeyChanged(props: { trust: LogTrust; onAccept: () => void }) {
  const t = useT(evidenceMessages);
  return (
    <div class="notice warn" role="alert" data-testid="log-key-changed">
      <p>{t('keyChanged')}</p>
      <dl class="facts">
        <dt>{t('pinnedKey')}</dt>
        <dd>
          <code>{props.trust.vkey}</code>
        </dd>
        <dt>{t('newKey')}</dt>
        <dd>
          <code>{props.trust.replaced}</code>
        </dd>
      </dl>
      <button
        type="button"
        onClick={() => {
          if (props.trust.replaced) pinLogKey(props.trust.replaced);
          props.onAccept();
        }}
      >
        {t('acceptKey')}
      </button>
    </div>
  );
}

/**
 * Each entry's receipt (the chain comes with them, all against one
 * checkpoint) verified here, one entry at a time so the page shows progress.
 */
function useEntryChecks(rows: readonly ChainRow[], trust: LogTrust) {
  const [checks, setChecks] = useState<Record<number, EntryCheck>>({});
  useEffect(() => {
    let cancelled = false;
    setChecks({});
    (async () => {
      for (const row of rows) {
        // Yield between entries: a long chain never freezes the page.
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (cancelled) return;
        const check = checkEntryReceipt(row.receipt, row, trust);
        setChecks((previous) => ({ ...previous, [row.index]: check }));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [rows, trust]);
  return checks;
}

function Timeline(props: { rows: readonly ChainRow[]; trust: LogTrust }) {
  const checks = useEntryChecks(props.rows, props.trust);
  return (
    <ol class="timeline" data-testid="timeline">
      {props.rows.map((row) => (
        <TimelineEntry key={row.index} row={row} check={checks[row.index]} />
      ))}
    </ol>
  );
}

function TimelineEntry(props: { row: ChainRow; check: EntryCheck | undefined }) {
  const t = useT(evidenceMessages);
  const lang = useLang();
  const { row, check } = props;
  const verified = check?.valid ? check : undefined;
  const state = !check ? 'pending' : verified ? 'ok' : 'bad';
  const code =
    check && !check.valid
      ? (check.verification.reason ?? (check.sameEntry ? 'LOG_KEY_CHANGED' : 'ENTRY_MISMATCH'))
      : '';
  const shown = verified?.shown;
  const actor = shown?.actor;
  return (
    <li data-testid="timeline-entry" data-index={row.index} data-type={row.entry.type} data-check={state}>
      <div class="entry-head">
        <strong>{entryTypeName(lang, row.entry.type)}</strong>
        <span class="muted">
          #{row.entry.seq} · {formatTime(lang, row.entry.at)}
        </span>
        <span class={`check ${state}`} data-testid="receipt-check" aria-live="polite">
          {state === 'pending'
            ? t('checking')
            : state === 'ok'
              ? `✓ ${t('verified')}`
              : `✗ ${t('notVerified', { code })}`}
        </span>
      </div>
      {actor && (
        <p class="muted">
          {t('by', {
            who: [actor.sub, actor.role ? roleName(lang, String(actor.role)) : undefined, actor.agency]
              .filter(Boolean)
              .join(', '),
          })}
        </p>
      )}
      {shown && (
        <dl class="facts">
          {Object.entries(shown.data)
            .filter(([name]) => !name.startsWith('_'))
            .map(([name, value]) => (
              <>
                <dt key={`${name}-name`}>{fieldName(lang, name)}</dt>
                <dd key={`${name}-value`}>{valueText(lang, value)}</dd>
              </>
            ))}
        </dl>
      )}
      {shown && shown.withheld.actor + shown.withheld.data > 0 && (
        <p class="muted">{t('withheld', { count: shown.withheld.actor + shown.withheld.data })}</p>
      )}
    </li>
  );
}

function AcknowledgeForm(props: { id: string; onDone: (receipt: string) => Promise<void> }) {
  const t = useT(evidenceMessages);
  const api = useApi();
  return (
    <ActionForm
      label={t('acknowledge')}
      submit={t('acknowledge')}
      class="acknowledge"
      action={async (data) => {
        const done = await api.post<{ receipt: string }>(`/v1/evidence/${props.id}/events`, {
          type: 'custody.received',
          ...optional(data, ['purpose', 'location', 'sealNumber', 'sealCondition']),
          purpose: text(data, 'purpose') || 'received',
        });
        await props.onDone(done.receipt);
      }}
    >
      <h2>{t('acknowledge')}</h2>
      <p>{t('acknowledgeHint')}</p>
      <div class="row">
        <Field label={t('purpose')}>{(id) => <input id={id} name="purpose" maxLength={1000} />}</Field>
        <Field label={t('location')}>{(id) => <input id={id} name="location" maxLength={1000} />}</Field>
        <Field label={t('sealNumber')}>{(id) => <input id={id} name="sealNumber" maxLength={64} />}</Field>
        <Field label={t('sealCondition')}>
          {(id) => <input id={id} name="sealCondition" maxLength={1000} />}
        </Field>
      </div>
    </ActionForm>
  );
}

/** The named fields that were filled in, trimmed. */
function optional(data: FormData, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => [name, text(data, name)]).filter(([, value]) => value !== ''),
  );
}

function HandlingForm(props: { id: string; onDone: (receipt: string) => Promise<void> }) {
  const t = useT(evidenceMessages);
  const api = useApi();
  const [type, setType] = useState<Handling>('custody.transferred');
  return (
    <ActionForm
      label={t('actions')}
      submit={t('record')}
      action={async (data) => {
        const agency = text(data, 'counterpartyAgency');
        const sub = text(data, 'counterpartySub');
        const done = await api.post<{ receipt: string }>(`/v1/evidence/${props.id}/events`, {
          type,
          purpose: text(data, 'purpose'),
          ...optional(data, ['location', 'sealNumber', 'sealCondition', 'authorityRef', 'notes']),
          ...(NEEDS_COUNTERPARTY.has(type) && agency
            ? { counterparty: { agency, ...(sub ? { sub } : {}) } }
            : {}),
        });
        await props.onDone(done.receipt);
      }}
    >
      <h2>{t('actions')}</h2>
      <Field label={t('type')} required>
        {(id) => (
          <select
            id={id}
            name="type"
            value={type}
            onChange={(event) => setType(event.currentTarget.value as Handling)}
          >
            {HANDLINGS.map((one) => (
              <option key={one} value={one}>
                {t(`type_${one.replace('.', '_')}` as keyof typeof evidenceMessages.en)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('purpose')} required>
        {(id) => <input id={id} name="purpose" required maxLength={1000} />}
      </Field>
      {NEEDS_COUNTERPARTY.has(type) && (
        <div class="row">
          <Field label={t('counterpartyAgency')} required={type === 'custody.transferred'}>
            {(id) => (
              <input
                id={id}
                name="counterpartyAgency"
                required={type === 'custody.transferred'}
                pattern="[A-Z0-9][A-Z0-9\-]{1,31}"
              />
            )}
          </Field>
          <Field label={t('counterpartySub')}>
            {(id) => <input id={id} name="counterpartySub" maxLength={255} />}
          </Field>
        </div>
      )}
      <div class="row">
        <Field label={t('location')}>{(id) => <input id={id} name="location" maxLength={1000} />}</Field>
        {NEEDS_SEAL.has(type) && (
          <Field label={t('sealNumber')}>{(id) => <input id={id} name="sealNumber" maxLength={64} />}</Field>
        )}
        {NEEDS_AUTHORITY.has(type) && (
          <Field
            label={t('authorityRef')}
            hint={t('authorityRefHint')}
            required={type === 'custody.disposed'}
          >
            {(id, hint) => (
              <input
                id={id}
                name="authorityRef"
                maxLength={255}
                required={type === 'custody.disposed'}
                aria-describedby={hint}
              />
            )}
          </Field>
        )}
      </div>
      <Field label={t('notes')}>{(id) => <textarea id={id} name="notes" maxLength={4000} />}</Field>
    </ActionForm>
  );
}

/** Fixity and download: both are recorded on the item's chain by the service. */
function ItemTools(props: { id: string; onFixity: () => void }) {
  const t = useT(evidenceMessages);
  const api = useApi();
  const [result, setResult] = useState<{ intact?: boolean; error?: unknown; file?: string }>({});
  return (
    <div class="tools">
      <button
        type="button"
        onClick={async () => {
          try {
            const done = await api.post<{ intact: boolean }>(`/v1/evidence/${props.id}/fixity`);
            setResult({ intact: done.intact });
            props.onFixity();
          } catch (error) {
            setResult({ error });
          }
        }}
      >
        {t('fixity')}
      </button>{' '}
      <button
        type="button"
        onClick={async () => {
          try {
            setResult({ file: URL.createObjectURL(await api.blob(`/v1/evidence/${props.id}/content`)) });
            props.onFixity();
          } catch (error) {
            setResult({ error });
          }
        }}
      >
        {t('download')}
      </button>
      <div aria-live="polite">
        {result.intact !== undefined && (
          <p class={`check ${result.intact ? 'ok' : 'bad'}`} data-testid="fixity-result">
            {result.intact ? t('fixityIntact') : t('fixityFailed')}
          </p>
        )}
        {result.file && (
          <p>
            <a href={result.file} download={`exhibit-${props.id}.bin`}>
              {t('download')}
            </a>
          </p>
        )}
        <ProblemMessage error={result.error} />
      </div>
    </div>
  );
}

/** The court report: the PDF to read, and the signed JSON checked in this browser. */
function ReportPanel(props: { id: string; trust: LogTrust | undefined }) {
  const t = useT(evidenceMessages);
  const lang = useLang();
  const api = useApi();
  const [reportLang, setReportLang] = useState<Lang>(lang);
  const [pdf, setPdf] = useState<string>();
  const [verdict, setVerdict] = useState<{ valid: boolean; code?: string; count: number }>();
  const [error, setError] = useState<unknown>();
  const attempt = async (work: () => Promise<void>) => {
    setError(undefined);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div class="card" data-testid="report-panel">
      <h2>{t('report')}</h2>
      <p class="muted">{t('reportHint')}</p>
      <Field label={t('reportLanguage')}>
        {(id) => (
          <select
            id={id}
            value={reportLang}
            onChange={(event) => setReportLang(event.currentTarget.value as Lang)}
          >
            {LANGS.map((one) => (
              <option key={one} value={one}>
                {one.toUpperCase()}
              </option>
            ))}
          </select>
        )}
      </Field>
      <p>
        <button
          type="button"
          onClick={() =>
            attempt(async () => {
              const blob = await api.blob(`/v1/evidence/${props.id}/report.pdf?lang=${reportLang}`);
              setPdf(URL.createObjectURL(new Blob([blob], { type: 'application/pdf' })));
            })
          }
        >
          {t('viewPdf')}
        </button>{' '}
        <button
          type="button"
          disabled={!props.trust}
          onClick={() =>
            attempt(async () => {
              const trust = props.trust;
              if (!trust) return;
              const { report, jws } = await api.get<{ report: { entries: unknown[] }; jws: string }>(
                `/v1/evidence/${props.id}/report`,
              );
              const result = verifyReport(
                jws,
                { jwks: trust.jwks, logKey: parseVerifierKey(trust.vkey) },
                report,
              );
              setVerdict({
                valid: result.valid && !trust.replaced,
                count: report.entries.length,
                ...(result.valid ? {} : { code: result.failure?.code ?? 'UNKNOWN' }),
              });
            })
          }
        >
          {t('verifyReport')}
        </button>
      </p>
      <div aria-live="polite">
        {verdict && (
          <p
            class={`check ${verdict.valid ? 'ok' : 'bad'}`}
            data-testid="report-verdict"
            data-valid={verdict.valid}
          >
            {verdict.valid
              ? `✓ ${t('reportValid', { count: verdict.count })}`
              : `✗ ${t('reportInvalid', { code: verdict.code ?? '' })}`}
          </p>
        )}
        <ProblemMessage error={error} />
      </div>
      {pdf && (
        <>
          <p>
            <a href={pdf} target="_blank" rel="noopener" data-testid="report-pdf-link">
              {t('viewPdf')}
            </a>
          </p>
          <iframe class="report-frame" src={pdf} title={t('report')} data-testid="report-pdf" />
        </>
      )}
    </div>
  );
}
