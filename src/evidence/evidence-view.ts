import type { EvidenceRecord } from '../db/evidence.repository';

/** An item as the API and the custody reports show it: metadata, every digest, custody state. */
export function evidenceView(item: EvidenceRecord) {
  return {
    id: item.id,
    caseId: item.caseId,
    exhibitNumber: item.exhibitNumber,
    description: item.description,
    source: item.source,
    acquiredAt: item.acquiredAt.toISOString(),
    acquiredBy: item.acquiredBy,
    acquisitionTool: item.acquisitionTool,
    location: item.location,
    originalFilename: item.originalFilename,
    mediaType: item.mediaType,
    size: item.size,
    digests: { sha256: item.sha256, sha512: item.sha512, md5: item.md5, sha1: item.sha1 },
    acquisitionHash: item.acquisitionHash,
    createdBy: item.createdBy,
    createdAt: item.createdAt.toISOString(),
    custody: {
      status: item.custody.status,
      holder: item.custody.holder,
      transferTo: item.custody.transferTo,
      sealed: item.custody.sealed,
      sealNumber: item.custody.sealNumber,
      onHold: item.custody.onHold,
    },
  };
}
