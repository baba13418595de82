import type { EvidenceRecord } from '../db/evidence.repository';
import type { LogEntry } from '../ledger';

/**
 * The custody of disclosed items as a CASE/UCO JSON-LD graph
 * (https://caseontology.org): each item a `uco-observable:File` with its typed
 * hashes, each custody entry a `case-investigation:InvestigativeAction` on it,
 * and a `case-investigation:ProvenanceRecord` per item tying them together. The
 * context is inline, so the graph expands offline.
 */
export function custodyGraph(
  items: ReadonlyArray<{
    item: EvidenceRecord;
    payloadPath: string;
    entries: ReadonlyArray<{ index: number; entry: LogEntry }>;
  }>,
  origin: string,
): object {
  const graph: object[] = [];
  for (const { item, payloadPath, entries } of items) {
    const file = `kb:file-${item.id}`;
    const hashes = [
      ['SHA256', item.sha256],
      ['SHA512', item.sha512],
      ['MD5', item.md5],
      ['SHA1', item.sha1],
    ].filter((pair): pair is [string, string] => pair[1] !== null);
    graph.push({
      '@id': file,
      '@type': 'uco-observable:File',
      'uco-core:name': payloadPath,
      'uco-core:hasFacet': [
        {
          '@id': `kb:file-facet-${item.id}`,
          '@type': 'uco-observable:FileFacet',
          'uco-observable:fileName': payloadPath,
          'uco-observable:sizeInBytes': item.size,
        },
        {
          '@id': `kb:content-facet-${item.id}`,
          '@type': 'uco-observable:ContentDataFacet',
          'uco-observable:hash': hashes.map(([method, value]) => ({
            '@id': `kb:hash-${method.toLowerCase()}-${item.id}`,
            '@type': 'uco-types:Hash',
            'uco-types:hashMethod': method,
            'uco-types:hashValue': value,
          })),
        },
      ],
    });
    const actions = entries.map(({ index, entry }) => ({
      '@id': `kb:action-${index}`,
      '@type': 'case-investigation:InvestigativeAction',
      'uco-core:name': entry.type,
      'uco-action:startTime': entry.at,
      'uco-action:performer': `kb:principal-${entry.actor.agency}-${'sub' in entry.actor ? entry.actor.sub : entry.actor.role}`,
      'uco-action:object': file,
      'uco-core:description': `log ${origin} entry ${index} (seq ${entry.seq})`,
    }));
    graph.push(...actions);
    graph.push({
      '@id': `kb:provenance-${item.id}`,
      '@type': 'case-investigation:ProvenanceRecord',
      'case-investigation:exhibitNumber': item.exhibitNumber,
      'uco-core:description': item.description,
      'uco-core:object': [file, ...actions.map((action) => action['@id'])],
    });
  }
  return {
    '@context': {
      kb: `urn:custody-ledger:${origin}:`,
      'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
      'uco-action': 'https://ontology.unifiedcyberontology.org/uco/action/',
      'uco-core': 'https://ontology.unifiedcyberontology.org/uco/core/',
      'uco-observable': 'https://ontology.unifiedcyberontology.org/uco/observable/',
      'uco-types': 'https://ontology.unifiedcyberontology.org/uco/types/',
    },
    '@graph': graph,
  };
}
