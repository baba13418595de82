import { Page } from '../ui';

/** Disclosures sent and received; a partner's packages. */
export function DisclosuresPage() {
  return <Page title="Disclosures">{null}</Page>;
}

export function DisclosurePage(props: { id: string }) {
  return <Page title={props.id}>{null}</Page>;
}
