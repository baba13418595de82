import { type LogEntry, revealFields } from '../ledger';
import type { ReportItem } from './report-audience';

/**
 * The custody of disclosed items as a CASE/UCO JSON-LD graph
 * (https://caseontology.org): each item a `uco-observable:File` with its typed
 * hashes, each custody entry a `case-investigation:InvestigativeAction` on it
 * performed by an identity, and a `case-investigation:ProvenanceRecord` per
 * item tying them together. Built from what the package's reader is given
 * only: the item as its report shows it, and each entry's fields as its
 * disclosures reveal them. A performer whose person is withheld is the
 * identity of a role in an agency, never a person. The context is inline, so
 * the graph expands offline.
 */
export function custodyGraph(
  items: ReadonlyArray<{
    item: ReportItem;
    payloadPath: string;
    entries: ReadonlyArray<{ index: number; entry: LogEntry; disclosures: readonly string[] }>;
  }>,
  origin: string,
): object {
  const graph: object[] = [];
  const identities = new Map<string, ReturnType<typeof identityOf>>();
  for (const { item, payloadPath, entries } of items) {
    const file = `kb:file-${item.id}`;
    const hashes = [
      ['SHA256', item.digests?.sha256],
      ['SHA512', item.digests?.sha512],
      ['MD5', item.digests?.md5],
      ['SHA1', item.digests?.sha1],
    ].filter((pair): pair is [string, string] => typeof pair[1] === 'string');
    graph.push({
      '@id': file,
      '@type': 'uco-observable:File',
      'uco-core:name': payloadPath,
      'uco-core:hasFacet': [
        {
          '@id': `kb:file-facet-${item.id}`,
          '@type': 'uco-observable:FileFacet',
          'uco-observable:fileName': payloadPath,
          ...(item.size === undefined ? {} : { 'uco-observable:sizeInBytes': item.size }),
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
    const actions = entries.map(({ index, entry, disclosures }) => {
      const performer = identityOf(entry, disclosures);
      identities.set(performer['@id'], performer);
      return {
        '@id': `kb:action-${index}`,
        '@type': 'case-investigation:InvestigativeAction',
        'uco-core:name': entry.type,
        'uco-action:startTime': entry.at,
        'uco-action:performer': performer['@id'],
        'uco-action:object': file,
        'uco-core:description': `log ${origin} entry ${index} (seq ${entry.seq})`,
      };
    });
    graph.push(...actions);
    graph.push({
      '@id': `kb:provenance-${item.id}`,
      '@type': 'case-investigation:ProvenanceRecord',
      ...(item.exhibitNumber === undefined ? {} : { 'case-investigation:exhibitNumber': item.exhibitNumber }),
      ...(item.description === undefined ? {} : { 'uco-core:description': item.description }),
      'uco-core:object': [file, ...actions.map((action) => action['@id'])],
    });
  }
  graph.push(...identities.values());
  return {
    '@context': {
      kb: `urn:custody-ledger:${origin}:`,
      'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
      'uco-action': 'https://ontology.unifiedcyberontology.org/uco/action/',
      'uco-core': 'https://ontology.unifiedcyberontology.org/uco/core/',
      'uco-identity': 'https://ontology.unifiedcyberontology.org/uco/identity/',
      'uco-observable': 'https://ontology.unifiedcyberontology.org/uco/observable/',
      'uco-types': 'https://ontology.unifiedcyberontology.org/uco/types/',
    },
    '@graph': graph,
  };
}

/**
 * Who performed an entry, as far as its disclosures say: the person when
 * `actor.sub` is revealed, otherwise the role in the agency (public in every
 * entry), one identity for all such entries.
 */
function identityOf(
  entry: LogEntry,
  disclosures: readonly string[],
): { readonly '@id': string; readonly [key: string]: string } {
  const { agency, role } = entry.actor;
  const { sub } = revealFields(entry, disclosures).actor;
  const part = encodeURIComponent;
  return typeof sub === 'string'
    ? {
        '@id': `kb:person-${part(agency)}-${part(sub)}`,
        '@type': 'uco-identity:Person',
        'uco-core:name': sub,
        'uco-core:description': `of ${agency}`,
      }
    : {
        '@id': `kb:role-${part(agency)}-${part(role)}`,
        '@type': 'uco-identity:Identity',
        'uco-core:name': `${role}, ${agency}`,
        'uco-core:description': 'a person acting in this role for this agency, whose name is withheld',
      };
}
