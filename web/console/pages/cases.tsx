import { Page } from '../ui';

export function CasesPage() {
  return <Page title="Cases">{null}</Page>;
}

export function CasePage(props: { id: string }) {
  return <Page title={props.id}>{null}</Page>;
}
