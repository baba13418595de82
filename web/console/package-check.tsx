import { useEffect, useState } from 'preact/hooks';
import { wordsFor } from '../verify/messages';
import { type InputProblem, type Outcome, verifyMaterial } from '../verify/outcome';
import { VerificationResult } from '../verify/result';
import { useLang } from './i18n';
import { loadTrust } from './trust';

/**
 * The package checked here with the one verifier (web/verify, src/verify):
 * against the log key this browser pinned, never against keys the package
 * brings. The result is the verifier page's own, check by check.
 */
export function PackageCheck(props: { blob: Blob; name: string }) {
  const lang = useLang();
  const [state, setState] = useState<{ outcome?: Outcome; problem?: InputProblem; working: boolean }>({
    working: false,
  });
  useEffect(() => {
    const blob = props.blob;
    if (!blob) return;
    let cancelled = false;
    setState({ working: true });
    (async () => {
      const trust = await loadTrust();
      const material = {
        kind: 'package' as const,
        name: props.name,
        bytes: new Uint8Array(await blob.arrayBuffer()),
      };
      const result = await verifyMaterial(material, {
        source: 'pinned',
        vkey: trust.vkey,
        jwks: JSON.stringify(trust.jwks),
      });
      if (!cancelled)
        setState(
          'problem' in result ? { problem: result, working: false } : { outcome: result, working: false },
        );
    })().catch(
      () =>
        !cancelled && setState({ problem: { problem: 'error_notZip', name: props.name }, working: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [props.blob, props.name]);
  return (
    <div class="verify-slot verify-result" data-testid="package-verify-slot">
      <VerificationResult
        words={wordsFor(lang)}
        outcomes={state.outcome ? [state.outcome] : []}
        problems={state.problem ? [state.problem] : []}
        working={state.working}
      />
    </div>
  );
}
