import { render } from 'preact';

function Verifier() {
  return <main>Custody Ledger verifier</main>;
}

const root = document.getElementById('app');
if (root) render(<Verifier />, root);
