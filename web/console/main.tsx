import { render } from 'preact';

function Console() {
  return <main>Custody Ledger</main>;
}

const root = document.getElementById('app');
if (root) render(<Console />, root);
