/**
 * The one verifier (architecture.md): receipts, checkpoints, proofs, chains,
 * disclosures of withheld entry fields, signed reports and payload digests,
 * checked against trust material passed in (the pinned JWKS and log vkey).
 * Pure: no network, no file system, no Node-only modules, so the CLI, the
 * service and a browser run the same code.
 */

export {
  BAGIT_TXT,
  type BagCheck,
  type BagCheckKind,
  type BagReader,
  type BagVerification,
  checkBag,
  type MeasuredFile,
} from './bag';
export { type Bundle, type BundleVerification, type PayloadFile, verifyBundle } from './bundle';
export { checkChains } from './chain';
export { type ConsistencyProof, verifyCheckpointPair } from './checkpoints';
export { VERIFY_CODES, VERIFY_FAILURES, type VerifyCode, type VerifyFailure } from './codes';
export { type DisclosedEntry, disclosedEntry } from './disclosures';
export { bundleOf, enclosedKeys, type FileSet, readConsistencyProof, receiptOf, reportOf } from './files';
export { type PackageVerification, verifyPackage } from './package';
export {
  type ProvenEntry,
  RECEIPT_TYPE,
  type ReceiptChecks,
  type ReceiptPayload,
  type ReceiptVerification,
  verifyReceipt,
} from './receipt';
export {
  REPORT_CHECKS,
  REPORT_TYPE,
  type ReportCheck,
  type ReportVerification,
  type SignedReport,
  verifyReport,
  verifySignedReport,
} from './report';
export type { PublishedKey, TrustMaterial } from './trust';
