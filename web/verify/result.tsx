import type { DisclosedEntry } from '../../src/verify';
import type { Words } from './messages';
import type { CheckRow, InputProblem, Outcome } from './outcome';

/**
 * A verification's result in words: the verdict first and prominent (in a
 * live region, so a screen reader announces it), then every check, passed or
 * failed, with its failure codes, the keys used and the proven entries.
 * Exported for the console, which shows the same result beside a case.
 */
export function VerificationResult(props: {
  readonly words: Words;
  readonly outcomes: readonly Outcome[];
  readonly problems: readonly InputProblem[];
  readonly working: boolean;
}) {
  const { words, outcomes, problems, working } = props;
  const { t } = words;
  const rows = outcomes.flatMap((outcome) => outcome.groups.flatMap((group) => group.rows));
  const passed = rows.filter((row) => row.state === 'pass').length;
  const valid = outcomes.length > 0 && problems.length === 0 && outcomes.every((outcome) => outcome.valid);
  const enclosed = outcomes.some((outcome) => outcome.keys.source === 'enclosed');
  return (
    <div class="result">
      <div class="live" role="status" aria-live="polite" aria-atomic="true">
        {working ? <p class="working">{t('working')}</p> : null}
        {!working &&
          problems.map((problem) => (
            <p class="problem" data-problem={problem.problem} key={`${problem.problem}${problem.name ?? ''}`}>
              {t(problem.problem, { name: problem.name ?? '' })}
            </p>
          ))}
        {!working && outcomes.length === 0 && problems.length === 0 ? (
          <p class="nothing">{t('nothingYet')}</p>
        ) : null}
        {!working && outcomes.length > 0 ? (
          <div class={`verdict ${valid ? 'pass' : 'fail'}`} data-verdict={valid ? 'pass' : 'fail'}>
            <p class="verdict-label">
              <span aria-hidden="true">{valid ? '✓ ' : '✗ '}</span>
              {t(valid ? 'verdictPass' : 'verdictFail')}
            </p>
            <p>{t(valid ? 'verdictPassNote' : 'verdictFailNote')}</p>
            {enclosed ? <p class="caution">{t('enclosedVerdictNote')}</p> : null}
            <p class="count">{t('passedCount', { passed, total: rows.length })}</p>
          </div>
        ) : null}
      </div>
      {working ? null : outcomes.map((outcome, i) => <OutcomeView words={words} outcome={outcome} key={i} />)}
    </div>
  );
}

function OutcomeView({ words, outcome }: { readonly words: Words; readonly outcome: Outcome }) {
  const { t } = words;
  const title = { package: 'kindPackage', receipt: 'kindReceipt', report: 'kindReport' } as const;
  return (
    <article class="outcome" data-kind={outcome.kind} data-valid={String(outcome.valid)}>
      <h3>
        <span class={`badge ${outcome.valid ? 'pass' : 'fail'}`}>
          {outcome.valid ? words.pass : words.fail}
        </span>{' '}
        {t(title[outcome.kind], { name: outcome.name })}
      </h3>
      <section class={`keys ${outcome.keys.source}`} data-keys={outcome.keys.source}>
        <h4>
          {t('keysUsed')}: {t(outcome.keys.source === 'pinned' ? 'keysPinned' : 'keysEnclosed')}
        </h4>
        <ul>
          <li data-log-key={outcome.keys.log.keyId}>
            {t('logKey', { name: outcome.keys.log.name, id: outcome.keys.log.keyId })}
          </li>
          {outcome.keys.receipt.map((key) => (
            <li data-receipt-key={key.kid} key={key.kid}>
              {t('receiptKey', { kid: key.kid, x: key.x })}
            </li>
          ))}
        </ul>
      </section>
      {outcome.groups.map((group) => {
        const failed = group.rows.filter((row) => row.state !== 'pass').length;
        return (
          <details class="group" data-group={group.group} open={failed > 0} key={group.group}>
            <summary>
              <span class={`badge ${failed > 0 ? 'fail' : 'pass'}`}>
                {failed > 0 ? words.fail : words.pass}
              </span>{' '}
              {t(`group_${group.group}`)}{' '}
              <span class="count">
                ({t('passedCount', { passed: group.rows.length - failed, total: group.rows.length })})
              </span>
            </summary>
            <ul class="checks">
              {group.rows.map((row, i) => (
                <Row words={words} row={row} key={`${row.check}${row.subject ?? ''}${i}`} />
              ))}
            </ul>
          </details>
        );
      })}
      {outcome.entries.length > 0 ? <Entries words={words} entries={outcome.entries} /> : null}
    </article>
  );
}

function Row({ words, row }: { readonly words: Words; readonly row: CheckRow }) {
  const mark = { pass: '✓', fail: '✗', unreached: '–' }[row.state];
  const state = { pass: words.pass, fail: words.fail, unreached: words.t('notReached') }[row.state];
  return (
    <li
      class={`check ${row.state}`}
      data-check={row.check}
      data-subject={row.subject}
      data-state={row.state}
      data-codes={row.codes.join(' ')}
    >
      <span class="mark" aria-hidden="true">
        {mark}
      </span>
      <span class="what">
        <span class="state">{state}</span>{' '}
        <span class="label">{words.t(`check_${row.check}`, { subject: row.subject ?? '' })}</span>
        {row.codes.map((code) => (
          <span class="code" data-code={code} key={code}>
            {words.code(code)} ({words.t('codeLabel')} <code>{code}</code>)
          </span>
        ))}
        {row.details.map((detail) => (
          <small class="detail" lang="en" key={detail}>
            {detail}
          </small>
        ))}
      </span>
    </li>
  );
}

function Entries({ words, entries }: { readonly words: Words; readonly entries: readonly DisclosedEntry[] }) {
  const { t } = words;
  return (
    // Focusable, so that a keyboard can scroll the table sideways where it is wider than the screen.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take the focus (WCAG 2.1.1)
    <div class="entries" tabIndex={0}>
      <table>
        <caption>{t('entriesHeading')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('entryIndex')}</th>
            <th scope="col">{t('entrySubject')}</th>
            <th scope="col">{t('entrySeq')}</th>
            <th scope="col">{t('entryType')}</th>
            <th scope="col">{t('entryAt')}</th>
            <th scope="col">{t('entryActor')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const withheld = entry.withheld.actor + entry.withheld.data;
            const { role, agency, sub } = entry.actor;
            return (
              <tr data-entry={entry.index} data-type={entry.type} key={entry.index}>
                <td data-label={t('entryIndex')}>{entry.index}</td>
                <td data-label={t('entrySubject')} class="subject">
                  {entry.subject.type} <code>{entry.subject.id}</code>
                </td>
                <td data-label={t('entrySeq')}>{entry.seq}</td>
                <td data-label={t('entryType')}>{words.entryType(entry.type)}</td>
                <td data-label={t('entryAt')} class="time">
                  {entry.at.replace('T', ' ').replace(/\.\d+Z$/, '')}
                </td>
                <td data-label={t('entryActor')}>
                  {[sub, typeof role === 'string' ? words.role(role) : undefined, agency]
                    .filter((part) => typeof part === 'string')
                    .join(', ')}
                  {withheld > 0 ? (
                    <span class="withheld"> ({t('withheld', { count: withheld })})</span>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
