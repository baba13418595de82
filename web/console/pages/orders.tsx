import { Page } from '../ui';

/** Orders and requests: due soon first for a prosecutor, status views for a partner. */
export function OrdersPage() {
  return <Page title="Orders">{null}</Page>;
}

export function OrderPage(props: { id: string }) {
  return <Page title={props.id}>{null}</Page>;
}
