import { Page } from '../ui';

export function EvidencePage(props: { id: string }) {
  return <Page title={props.id}>{null}</Page>;
}
