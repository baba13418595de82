import { Page } from '../ui';

/** The custodian's transfers awaiting acknowledgement. */
export function InboxPage() {
  return <Page title="Inbox">{null}</Page>;
}
