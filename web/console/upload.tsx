import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { useEffect, useState } from 'preact/hooks';
import * as tus from 'tus-js-client';
import { problemFromText, useApi } from './api';
import { formatBytes, useLang, useT } from './i18n';
import { uploadMessages } from './messages/upload';
import { Field, ProblemMessage } from './ui';

/** An upload this browser started and has not seen finish: kept so that a reload shows it and can resume it. */
interface PendingUpload {
  readonly key: string;
  readonly caseId: string;
  readonly exhibitNumber: string;
  readonly fileName: string;
  readonly size: number;
  readonly sha256: string;
  readonly url?: string;
}

const PENDING = 'custody-ledger.uploads';
/** Bytes hashed per read: large enough to be quick, small enough that a huge image never sits in memory. */
const HASH_SLICE = 8 * 1024 * 1024;
/** PATCH size: a lost connection costs at most this much again. */
const CHUNK = 16 * 1024 * 1024;
const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10_000, 20_000, 30_000];

function pendingUploads(): PendingUpload[] {
  try {
    const stored = JSON.parse(localStorage.getItem(PENDING) ?? '[]') as unknown;
    return Array.isArray(stored) ? (stored as PendingUpload[]) : [];
  } catch {
    return [];
  }
}

function savePending(next: PendingUpload[]): void {
  localStorage.setItem(PENDING, JSON.stringify(next));
}

function keyOf(caseId: string, exhibitNumber: string, file: File): string {
  return JSON.stringify([caseId, exhibitNumber, file.name, file.size, file.lastModified]);
}

/** SHA-256 of a file read a slice at a time (declared at creation, so the service refuses changed bytes). */
async function hashFile(file: File, onProgress: (done: number) => void): Promise<string> {
  const hash = sha256.create();
  for (let offset = 0; offset < file.size; offset += HASH_SLICE) {
    hash.update(new Uint8Array(await file.slice(offset, offset + HASH_SLICE).arrayBuffer()));
    onProgress(Math.min(file.size, offset + HASH_SLICE));
  }
  return bytesToHex(hash.digest());
}

/** What the service holds of an earlier upload (tus HEAD), so a reloaded page shows its real progress. */
async function heldBytes(url: string, token: string): Promise<number | undefined> {
  const answer = await fetch(url, {
    method: 'HEAD',
    headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' },
    cache: 'no-store',
  });
  return answer.ok ? Number(answer.headers.get('upload-offset')) : undefined;
}

export interface Uploaded {
  readonly evidence: { id: string; exhibitNumber: string };
  readonly receipt: string;
}

type Phase =
  | { name: 'idle' }
  | { name: 'hashing'; done: number; size: number }
  | { name: 'sending'; done: number; size: number }
  | { name: 'failed'; error: unknown };

/** A bar with its numbers in words, announced politely to screen readers. */
function ProgressBar(props: { label: string; done: number; size: number }) {
  const lang = useLang();
  const percent = props.size === 0 ? 100 : Math.floor((props.done / props.size) * 100);
  return (
    <div class="progress" data-testid="upload-progress" data-percent={percent}>
      <progress max={props.size || 1} value={props.done} aria-label={props.label} />
      <div class="progress-line" aria-live="polite">
        <span>{props.label}</span>
        <span>
          {percent}% · {formatBytes(lang, props.done)} / {formatBytes(lang, props.size)}
        </span>
      </div>
    </div>
  );
}

/**
 * Uploads one exhibit with the tus protocol, as the command-line tool does:
 * hash first, then send in chunks, retrying from the last byte the service
 * holds. The upload's address is kept in this browser, so after a reload the
 * page shows how far it got and continues when the same file is chosen again
 * (a page may not reopen a file by itself).
 */
export function UploadPanel(props: {
  caseId: string;
  defaultAcquiredBy: string;
  onUploaded: (done: Uploaded) => void;
}) {
  const t = useT(uploadMessages);
  const api = useApi();
  const [file, setFile] = useState<File>();
  const [phase, setPhase] = useState<Phase>({ name: 'idle' });
  const [unfinished, setUnfinished] = useState<(PendingUpload & { held?: number })[]>([]);

  useEffect(() => {
    const mine = pendingUploads().filter((upload) => upload.caseId === props.caseId);
    Promise.all(
      mine.map(async (upload) => ({
        ...upload,
        held: upload.url ? await heldBytes(upload.url, api.token).catch(() => undefined) : undefined,
      })),
    ).then(setUnfinished);
  }, [props.caseId, api.token]);

  const start = async (form: HTMLFormElement) => {
    if (!file) return;
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? '').trim();
    const exhibitNumber = value('exhibitNumber');
    const metadata = Object.fromEntries(
      Object.entries({
        exhibitNumber,
        description: value('description'),
        source: value('source') || `file ${file.name}`,
        acquiredAt: new Date(value('acquiredAt') || Date.now()).toISOString(),
        acquiredBy: value('acquiredBy') || props.defaultAcquiredBy,
        acquisitionTool: value('acquisitionTool'),
        location: value('location'),
        sealNumber: value('sealNumber'),
      }).filter(([, text]) => text !== ''),
    );
    const key = keyOf(props.caseId, exhibitNumber, file);
    const earlier = pendingUploads().find((upload) => upload.key === key);
    try {
      let digest = earlier?.sha256;
      if (!digest) {
        setPhase({ name: 'hashing', done: 0, size: file.size });
        digest = await hashFile(file, (done) => setPhase({ name: 'hashing', done, size: file.size }));
      }
      const record: PendingUpload = {
        key,
        caseId: props.caseId,
        exhibitNumber,
        fileName: file.name,
        size: file.size,
        sha256: digest,
        ...(earlier?.url ? { url: earlier.url } : {}),
      };
      savePending([...pendingUploads().filter((upload) => upload.key !== key), record]);
      setPhase({ name: 'sending', done: 0, size: file.size });
      const done = await send(file, record, metadata, api.token, (sent) =>
        setPhase({ name: 'sending', done: sent, size: file.size }),
      );
      savePending(pendingUploads().filter((upload) => upload.key !== key));
      setUnfinished((list) => list.filter((upload) => upload.key !== key));
      setPhase({ name: 'idle' });
      setFile(undefined);
      form.reset();
      props.onUploaded(done);
    } catch (error) {
      setPhase({ name: 'failed', error });
    }
  };

  const busy = phase.name === 'hashing' || phase.name === 'sending';
  return (
    <form
      class="card form"
      aria-label={t('title')}
      data-testid="upload-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (!busy) void start(event.currentTarget);
      }}
    >
      <h2>{t('title')}</h2>
      {unfinished.map((upload) => (
        <div class="notice warn" key={upload.key} data-testid="upload-unfinished">
          <p>{t('unfinished', { exhibit: upload.exhibitNumber, file: upload.fileName })}</p>
          {upload.held !== undefined && (
            <ProgressBar label={t('held')} done={upload.held} size={upload.size} />
          )}
        </div>
      ))}
      <Field label={t('file')} required>
        {(id) => (
          <input
            id={id}
            name="file"
            type="file"
            required
            disabled={busy}
            onChange={(event) => setFile(event.currentTarget.files?.[0])}
          />
        )}
      </Field>
      <div class="row">
        <Field label={t('exhibitNumber')} required>
          {(id) => <input id={id} name="exhibitNumber" required maxLength={64} disabled={busy} />}
        </Field>
        <Field label={t('acquiredAt')} required>
          {(id) => <input id={id} name="acquiredAt" type="datetime-local" required disabled={busy} />}
        </Field>
        <Field label={t('acquiredBy')}>
          {(id) => (
            <input
              id={id}
              name="acquiredBy"
              maxLength={255}
              placeholder={props.defaultAcquiredBy}
              disabled={busy}
            />
          )}
        </Field>
      </div>
      <Field label={t('description')} required>
        {(id) => <textarea id={id} name="description" required maxLength={4000} disabled={busy} />}
      </Field>
      <div class="row">
        <Field label={t('source')} hint={t('sourceHint')}>
          {(id, hint) => (
            <input id={id} name="source" maxLength={1000} aria-describedby={hint} disabled={busy} />
          )}
        </Field>
        <Field label={t('acquisitionTool')}>
          {(id) => <input id={id} name="acquisitionTool" maxLength={255} disabled={busy} />}
        </Field>
        <Field label={t('location')}>
          {(id) => <input id={id} name="location" maxLength={1000} disabled={busy} />}
        </Field>
        <Field label={t('sealNumber')}>
          {(id) => <input id={id} name="sealNumber" maxLength={64} disabled={busy} />}
        </Field>
      </div>
      {phase.name === 'hashing' && <ProgressBar label={t('hashing')} done={phase.done} size={phase.size} />}
      {phase.name === 'sending' && <ProgressBar label={t('sending')} done={phase.done} size={phase.size} />}
      {phase.name === 'failed' && <ProblemMessage error={phase.error} />}
      <button type="submit" class="primary" disabled={busy || !file} aria-busy={busy}>
        {t('start')}
      </button>
    </form>
  );
}

/** Sends (or continues) the upload and resolves with the committed item and its receipt. */
function send(
  file: File,
  record: PendingUpload,
  metadata: Record<string, string>,
  token: string,
  onProgress: (sent: number) => void,
): Promise<Uploaded> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint: '/v1/uploads',
      ...(record.url ? { uploadUrl: record.url } : {}),
      chunkSize: CHUNK,
      retryDelays: RETRY_DELAYS_MS,
      storeFingerprintForResuming: false,
      headers: { authorization: `Bearer ${token}` },
      metadata: {
        caseId: record.caseId,
        metadata: JSON.stringify(metadata),
        sha256: record.sha256,
        filename: file.name,
        filetype: file.type || 'application/octet-stream',
      },
      onUploadUrlAvailable: () => {
        const url = upload.url;
        if (url)
          savePending([...pendingUploads().filter((one) => one.key !== record.key), { ...record, url }]);
      },
      onProgress: (sent) => onProgress(sent),
      onShouldRetry: (error) => {
        const status = error.originalResponse?.getStatus() ?? 0;
        return status === 0 || status >= 500 || status === 423;
      },
      onSuccess: async ({ lastResponse }) => {
        const text = lastResponse.getBody() ?? '';
        if (text.includes('"evidence"')) return resolve(JSON.parse(text) as Uploaded);
        // Every byte was in before this page continued: the service commits it on request.
        const answer = await fetch(`${upload.url}/complete`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        });
        if (answer.ok) resolve((await answer.json()) as Uploaded);
        else reject(problemFromText(answer.status, await answer.text()));
      },
      onError: (error) => {
        const response = (error as tus.DetailedError).originalResponse;
        if (!response) return reject(error);
        reject(problemFromText(response.getStatus(), response.getBody() ?? ''));
      },
    });
    upload.start();
  });
}
