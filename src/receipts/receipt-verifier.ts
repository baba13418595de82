import type { NoteVerifier } from '../ledger';
import { type ReceiptVerification, type TrustMaterial, verifyReceipt } from '../verify';

/** The service's own receipt check (`POST /v1/receipts/verify`): the offline verifier with our trust material. */
export class ReceiptVerifier {
  constructor(
    private readonly jwks: () => Promise<TrustMaterial['jwks']>,
    private readonly logKey: NoteVerifier,
  ) {}

  async verify(receipt: string): Promise<ReceiptVerification> {
    return verifyReceipt(receipt, { jwks: await this.jwks(), logKey: this.logKey });
  }
}
