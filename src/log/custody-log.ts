import { type ReceiptSigningKey, signReceipt } from '../receipts/receipt';
import type { Appended, AppendRequest, Sequencer } from './sequencer';

/** A value a service changed, with the receipt of the log entry that recorded the change. */
export interface Receipted<T> {
  readonly value: T;
  /** Compact JWS receipt (formats.md §4). */
  readonly receipt: string;
}

export interface Recorded {
  readonly appended: Appended;
  /** Compact JWS receipt (formats.md §4). */
  readonly receipt: string;
}

/**
 * What services write through: every accepted state change becomes a log entry,
 * committed together with its domain writes, and comes back with a signed receipt.
 */
export class CustodyLog {
  constructor(
    private readonly sequencer: Sequencer,
    private readonly receiptKey: () => ReceiptSigningKey,
  ) {}

  async record(request: AppendRequest): Promise<Recorded> {
    return this.receipted(await this.sequencer.append(request));
  }

  /**
   * One change that touches several subjects (a disclosure recorded on its case
   * and on each item): every entry commits, or none does. Receipts in order.
   */
  async recordAll(
    requests: readonly [AppendRequest, ...AppendRequest[]],
  ): Promise<[Recorded, ...Recorded[]]> {
    const [first, ...rest] = await this.sequencer.appendAll(requests);
    return Promise.all([this.receipted(first as Appended), ...rest.map((one) => this.receipted(one))]);
  }

  private async receipted(appended: Appended): Promise<Recorded> {
    const receipt = await signReceipt(this.receiptKey(), {
      entry: appended.entry,
      index: appended.index,
      proof: appended.proof,
      checkpoint: appended.checkpoint,
    });
    return { appended, receipt };
  }
}
