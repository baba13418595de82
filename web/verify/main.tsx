/**
 * The verifier page (`/verify`, and `verify.html` in every disclosure
 * package): a package, a receipt or a report checked in the browser by the
 * one verifier (src/verify), with no sign-in and no network (its CSP has
 * `connect-src 'none'`).
 *
 * Trust. A package and a report PDF carry `jwks.json` and `log.vkey`, but
 * keys that come with the material prove only that the material is
 * consistent with itself: whoever forged it would have brought their own
 * keys. So the page asks first for the keys the reader obtained out of band
 * (pasted, or read from a file: the service's /v1/log/info and
 * /.well-known/jwks.json, or its published notice) and checks against those.
 * A reader may choose the enclosed keys instead; the page then says plainly,
 * before and with the verdict, that this proves consistency and not who
 * signed, and shows the log key's name and ID and each receipt key's `kid`
 * and public key, to compare with those the service publishes.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import { classify, type Material, type MaterialKind } from './inputs';
import { LANGUAGES, type Language, languageOf, type Words, wordsFor } from './messages';
import { type InputProblem, type Outcome, type TrustSource, verifyMaterial } from './outcome';
import { VerificationResult } from './result';
import './verify.css';

type Slot = 'package' | 'receipt' | 'report';
const SLOTS: readonly Slot[] = ['package', 'receipt', 'report'];
const ACCEPT: Record<Slot, string> = {
  package: '.zip,application/zip',
  receipt: '.jws,.json,.txt',
  report: '.json,.jws,.pdf,application/pdf',
};
const LABEL = { package: 'packageLabel', receipt: 'receiptLabel', report: 'reportLabel' } as const;

async function bytesOf(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

function Verifier() {
  const [language, setLanguage] = useState<Language>(() =>
    languageOf(navigator.languages ?? [navigator.language]),
  );
  const words = wordsFor(language);
  const [materials, setMaterials] = useState<Partial<Record<Slot, Material>>>({});
  const [source, setSource] = useState<TrustSource>('pinned');
  const [vkey, setVkey] = useState('');
  const [jwks, setJwks] = useState('');
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [problems, setProblems] = useState<InputProblem[]>([]);
  const [working, setWorking] = useState(false);
  const [dragging, setDragging] = useState(false);

  useLayoutEffect(() => {
    document.documentElement.lang = language;
    document.title = words.t('title');
  }, [language]);

  const place = (material: Material) => {
    if (material.kind === 'vkey') setVkey(new TextDecoder().decode(material.bytes).trim());
    else if (material.kind === 'jwks') setJwks(new TextDecoder().decode(material.bytes));
    else setMaterials((now) => ({ ...now, [material.kind]: material }));
  };

  const dropped = async (files: readonly File[]) => {
    const unknown: InputProblem[] = [];
    for (const file of files) {
      const material = classify(file.name, await bytesOf(file));
      if (material) place(material);
      else unknown.push({ problem: 'error_unknownFile', name: file.name });
    }
    setProblems(unknown);
  };

  // The whole window takes drops: a file dropped beside the zone must not replace the page with itself.
  useEffect(() => {
    const over = (event: DragEvent) => {
      event.preventDefault();
      setDragging(true);
    };
    const leave = () => setDragging(false);
    const drop = (event: DragEvent) => {
      event.preventDefault();
      setDragging(false);
      void dropped([...(event.dataTransfer?.files ?? [])]);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);

  const chosen = async (kind: MaterialKind, file: File | undefined) => {
    if (file) place({ kind, name: file.name, bytes: await bytesOf(file) });
  };

  const run = async () => {
    const given = SLOTS.map((slot) => materials[slot]).filter((m): m is Material => m !== undefined);
    if (given.length === 0) {
      setOutcomes([]);
      setProblems([{ problem: 'error_noInput' }]);
      return;
    }
    setWorking(true);
    const results: Outcome[] = [];
    const failed: InputProblem[] = [];
    for (const material of given) {
      try {
        const result = await verifyMaterial(material, { source, vkey, jwks });
        if ('problem' in result) failed.push(result);
        else results.push(result);
      } catch {
        failed.push({ problem: 'error_unreadable', name: material.name });
      }
    }
    setOutcomes(results);
    setProblems(failed);
    setWorking(false);
    // On a phone the result is below the inputs: bring it into view (the live region announces it).
    document.getElementById('result-heading')?.scrollIntoView({ block: 'start' });
  };

  const { t } = words;
  return (
    <>
      <header class="top">
        <h1>{t('title')}</h1>
        <div class="language">
          <label for="language">{t('language')}</label>
          <select
            id="language"
            value={language}
            onChange={(event) => setLanguage((event.currentTarget as HTMLSelectElement).value as Language)}
          >
            {LANGUAGES.map((code) => (
              <option value={code} key={code} lang={code}>
                {wordsFor(code).t('languageName')}
              </option>
            ))}
          </select>
        </div>
      </header>
      <main class="layout">
        <p class="intro">{t('intro')}</p>
        <section class="inputs" aria-labelledby="inputs-heading">
          <h2 id="inputs-heading">{t('inputsHeading')}</h2>
          <fieldset class={`drop ${dragging ? 'dragging' : ''}`} data-drop-zone>
            <legend class="drop-text">{t('drop')}</legend>
            <p class="hint">{t('dropHint')}</p>
            {SLOTS.map((slot) => (
              <FilePicker
                key={slot}
                id={`${slot}-file`}
                label={t(LABEL[slot])}
                accept={ACCEPT[slot]}
                chosen={materials[slot]?.name}
                words={words}
                onFile={(file) => void chosen(slot, file)}
                onClear={() => setMaterials(({ [slot]: _gone, ...rest }) => rest)}
              />
            ))}
          </fieldset>
          <fieldset class="trust">
            <legend>{t('trustHeading')}</legend>
            {(['pinned', 'enclosed'] as const).map((choice) => (
              <label class="choice" key={choice}>
                <input
                  type="radio"
                  name="trust"
                  value={choice}
                  checked={source === choice}
                  onChange={() => setSource(choice)}
                />{' '}
                {t(choice === 'pinned' ? 'trustPinned' : 'trustEnclosed')}
              </label>
            ))}
            {source === 'pinned' ? (
              <>
                <p class="note">{t('pinnedNote')}</p>
                <KeyField
                  id="vkey"
                  label={t('vkeyLabel')}
                  value={vkey}
                  rows={2}
                  words={words}
                  onValue={setVkey}
                />
                <KeyField
                  id="jwks"
                  label={t('jwksLabel')}
                  value={jwks}
                  rows={5}
                  words={words}
                  onValue={setJwks}
                />
              </>
            ) : (
              <p class="caution" data-warning="enclosed-keys">
                {t('enclosedWarning')}
              </p>
            )}
          </fieldset>
          <button type="button" id="verify" class="primary" onClick={() => void run()} disabled={working}>
            {t('verify')}
          </button>
        </section>
        <section class="results" aria-labelledby="result-heading">
          <h2 id="result-heading">{t('resultHeading')}</h2>
          <VerificationResult words={words} outcomes={outcomes} problems={problems} working={working} />
        </section>
      </main>
    </>
  );
}

function FilePicker(props: {
  readonly id: string;
  readonly label: string;
  readonly accept: string;
  readonly chosen: string | undefined;
  readonly words: Words;
  readonly onFile: (file: File | undefined) => void;
  readonly onClear: () => void;
}) {
  const { id, label, accept, chosen, words } = props;
  // The native control is hidden (its "Choose file" text is the browser's, not the page's language) but stays
  // focusable: the label is its visible face, and shows the focus ring.
  return (
    <div class="picker">
      <input
        type="file"
        id={id}
        class="visually-hidden"
        accept={accept}
        onChange={(event) => {
          const input = event.currentTarget as HTMLInputElement;
          props.onFile(input.files?.[0]);
          input.value = '';
        }}
      />
      <label for={id}>
        <span class="title">{label}</span>
        <span class="button" aria-hidden="true">
          {words.t('chooseFile')}
        </span>
      </label>
      <p class="chosen" data-chosen={id}>
        {chosen ? (
          <>
            {words.t('chosen', { name: chosen })}{' '}
            <button type="button" class="link" onClick={props.onClear}>
              {words.t('clear')}
            </button>
          </>
        ) : (
          words.t('noFile')
        )}
      </p>
    </div>
  );
}

function KeyField(props: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly rows: number;
  readonly words: Words;
  readonly onValue: (value: string) => void;
}) {
  const { id, label, value, rows, words } = props;
  return (
    <div class="key-field">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        rows={rows}
        spellcheck={false}
        autocomplete="off"
        value={value}
        onInput={(event) => props.onValue((event.currentTarget as HTMLTextAreaElement).value)}
      />
      <input
        type="file"
        id={`${id}-file`}
        class="visually-hidden"
        accept=".vkey,.json,.txt"
        onChange={async (event) => {
          const input = event.currentTarget as HTMLInputElement;
          const file = input.files?.[0];
          if (file) props.onValue(new TextDecoder().decode(await bytesOf(file)).trim());
          input.value = '';
        }}
      />
      <label for={`${id}-file`} class="from-file">
        <span class="button">{words.t('fromFile')}</span>
      </label>
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<Verifier />, root);
