import { Foundation1764320000000 } from './1764320000000-foundation';
import { VerifiableLog1764330000000 } from './1764330000000-verifiable-log';
import { Evidence1764340000000 } from './1764340000000-evidence';
import { Orders1764350000000 } from './1764350000000-orders';
import { Disclosures1764360000000 } from './1764360000000-disclosures';
import { CaseMembership1764370000000 } from './1764370000000-case-membership';
import { PrincipalStatus1764380000000 } from './1764380000000-principal-status';
import { ServiceRole1764390000000 } from './1764390000000-service-role';
import { RateLimits1764400000000 } from './1764400000000-rate-limits';
import { BreakGlass1764410000000 } from './1764410000000-break-glass';
import { KeyCompromise1764425000000 } from './1764425000000-key-compromise';
import { IdempotencyKeys1764440000000 } from './1764440000000-idempotency-keys';
import { OrderLapses1764450000000 } from './1764450000000-order-lapses';
import { ResumableUploads1764460000000 } from './1764460000000-resumable-uploads';
import { EntryDisclosures1764470000000 } from './1764470000000-entry-disclosures';
import { OrderHolds1764488000000 } from './1764488000000-order-holds';
import { OrderRegistry1764490000000 } from './1764490000000-order-registry';
import { OrderMatters1764500000000 } from './1764500000000-order-matters';
import { OrderContents1764510000000 } from './1764510000000-order-contents';
import { CentralAuthority1764530000000 } from './1764530000000-central-authority';
import { OrderEventTimes1764540000000 } from './1764540000000-order-event-times';
import { OnwardAuthorisations1764540000001 } from './1764540000001-onward-authorisations';
import { DisclosureUses1764540000002 } from './1764540000002-disclosure-uses';
import { OrderAssignees1764540000003 } from './1764540000003-order-assignees';
import { CustodianAcknowledgements1764540000004 } from './1764540000004-custodian-acknowledgements';
import { UserNotices1764550000000 } from './1764550000000-user-notices';
import { EnforcingAgency1764560000000 } from './1764560000000-enforcing-agency';
import { FormalConfirmationReminders1764570000000 } from './1764570000000-formal-confirmation-reminders';
import { TransferInbox1764575000000 } from './1764575000000-transfer-inbox';

/** Every migration, in order. The data source takes this list; there is no glob to go stale. */
export const migrations = [
  Foundation1764320000000,
  VerifiableLog1764330000000,
  Evidence1764340000000,
  Orders1764350000000,
  Disclosures1764360000000,
  CaseMembership1764370000000,
  PrincipalStatus1764380000000,
  ServiceRole1764390000000,
  RateLimits1764400000000,
  BreakGlass1764410000000,
  KeyCompromise1764425000000,
  IdempotencyKeys1764440000000,
  OrderLapses1764450000000,
  ResumableUploads1764460000000,
  EntryDisclosures1764470000000,
  OrderHolds1764488000000,
  OrderRegistry1764490000000,
  OrderMatters1764500000000,
  OrderContents1764510000000,
  CentralAuthority1764530000000,
  OrderEventTimes1764540000000,
  OnwardAuthorisations1764540000001,
  DisclosureUses1764540000002,
  OrderAssignees1764540000003,
  CustodianAcknowledgements1764540000004,
  UserNotices1764550000000,
  EnforcingAgency1764560000000,
  FormalConfirmationReminders1764570000000,
  TransferInbox1764575000000,
];
