import { type BagReader, type BagVerification, checkBag } from './bag';
import { type BundleVerification, verifyBundle } from './bundle';
import { bundleOf } from './files';
import type { TrustMaterial } from './trust';

/** A package's verdict: the bag's own checks, and everything in it through the one verifier. */
export interface PackageVerification {
  readonly valid: boolean;
  readonly bag: BagVerification;
  readonly bundle: BundleVerification;
}

/**
 * A disclosure package (formats.md §6), offline: the bag (declaration,
 * manifests, oxum, tag manifest), then its receipts, proofs, checkpoints,
 * chains, signed reports, disclosures and each payload file against its own
 * item's intake entry, with the trust material given (pinned by the reader,
 * or the package's own keys, which prove less: see `enclosedKeys`).
 */
export async function verifyPackage(bag: BagReader, trust: TrustMaterial): Promise<PackageVerification> {
  const checked = await checkBag(bag);
  const bundle = verifyBundle(await bundleOf(bag, checked.payload), trust);
  return {
    valid: checked.checks.every((check) => check.ok) && bundle.valid,
    bag: checked,
    bundle,
  };
}
