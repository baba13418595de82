import { createHash } from 'node:crypto';
import { type LogEntry, revealFields } from '../ledger';
import type { ReportItem } from './report-audience';

/** A reference to a node of the graph: expanded, it stays an IRI (a plain string would become a literal). */
type Ref = { readonly '@id': string };
type GraphNode = Ref & Readonly<Record<string, unknown>>;

const ref = (id: string): Ref => ({ '@id': id });
const part = encodeURIComponent;
/** A stable IRI segment for free text (a location, a tool's name) that never puts the text itself in the IRI. */
const digestOf = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);

/**
 * The custody of disclosed items as a CASE/UCO JSON-LD graph
 * (https://caseontology.org). Each item is a `uco-observable:File` with its
 * typed hashes and a `case-investigation:ProvenanceRecord`; each custody entry
 * a `case-investigation:InvestigativeAction` whose performer, object, result
 * (the provenance record), instrument and location are `@id` references to
 * nodes defined once in the same graph, so that JSON-LD expansion and RDF
 * conversion keep every link. The instrument is this service (a
 * `uco-tool:Tool`), and the acquisition tool too where it is disclosed; a
 * location appears only where it is disclosed. Built from what the package's
 * reader is given only: the item as its report shows it, and each entry's
 * fields as its disclosures reveal them. A performer whose person is withheld
 * is the identity of a role in an agency, never a person; every performer is
 * a member of its agency (a `uco-identity:Organization`). The context is
 * inline, so the graph expands offline.
 */
export function custodyGraph(
  items: ReadonlyArray<{
    item: ReportItem;
    payloadPath: string;
    entries: ReadonlyArray<{ index: number; entry: LogEntry; disclosures: readonly string[] }>;
  }>,
  origin: string,
): object {
  /** Every node by its `@id`: a node met twice (a performer, a location) is defined once. */
  const nodes = new Map<string, GraphNode>();
  const define = (node: GraphNode): Ref => {
    if (!nodes.has(node['@id'])) nodes.set(node['@id'], node);
    return ref(node['@id']);
  };
  const service = define({
    '@id': 'kb:tool-custody-ledger',
    '@type': 'uco-tool:Tool',
    'uco-core:name': 'Custody Ledger',
    'uco-tool:toolType': 'chain of custody ledger',
    'uco-core:description': `the service that recorded each action as an entry of the log ${origin}`,
  });
  for (const { item, payloadPath, entries } of items) {
    const file = define({
      '@id': `kb:file-${item.id}`,
      '@type': 'uco-observable:File',
      'uco-core:name': payloadPath,
      'uco-core:hasFacet': [
        {
          '@id': `kb:file-facet-${item.id}`,
          '@type': 'uco-observable:FileFacet',
          'uco-observable:fileName': payloadPath,
          ...(item.size === undefined
            ? {}
            : { 'uco-observable:sizeInBytes': { '@type': 'xsd:integer', '@value': String(item.size) } }),
        },
        {
          '@id': `kb:content-facet-${item.id}`,
          '@type': 'uco-observable:ContentDataFacet',
          'uco-observable:hash': hashesOf(item),
        },
      ],
    });
    const provenance = ref(`kb:provenance-${item.id}`);
    const actions = entries.map(({ index, entry, disclosures }) => {
      const { data } = revealFields(entry, disclosures);
      const instruments = [service];
      if (typeof data.acquisitionTool === 'string')
        instruments.push(
          define({
            '@id': `kb:tool-${digestOf(data.acquisitionTool)}`,
            '@type': 'uco-tool:Tool',
            'uco-core:name': data.acquisitionTool,
          }),
        );
      const location =
        typeof data.location === 'string'
          ? define({
              '@id': `kb:location-${digestOf(data.location)}`,
              '@type': 'uco-location:Location',
              'uco-core:description': data.location,
            })
          : undefined;
      return define({
        '@id': `kb:action-${index}`,
        '@type': 'case-investigation:InvestigativeAction',
        'uco-core:name': entry.type,
        'uco-core:description': `log ${origin} entry ${index} (seq ${entry.seq})`,
        'uco-action:startTime': { '@type': 'xsd:dateTime', '@value': entry.at },
        'uco-action:performer': performerOf(entry, disclosures, define),
        'uco-action:instrument': instruments,
        ...(location ? { 'uco-action:location': location } : {}),
        'uco-action:object': file,
        'uco-action:result': provenance,
      });
    });
    define({
      ...provenance,
      '@type': 'case-investigation:ProvenanceRecord',
      ...(item.exhibitNumber === undefined ? {} : { 'case-investigation:exhibitNumber': item.exhibitNumber }),
      ...(item.description === undefined ? {} : { 'uco-core:description': item.description }),
      'uco-core:object': [file, ...actions],
    });
  }
  return {
    '@context': {
      kb: `urn:custody-ledger:${origin}:`,
      'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
      'uco-action': 'https://ontology.unifiedcyberontology.org/uco/action/',
      'uco-core': 'https://ontology.unifiedcyberontology.org/uco/core/',
      'uco-identity': 'https://ontology.unifiedcyberontology.org/uco/identity/',
      'uco-location': 'https://ontology.unifiedcyberontology.org/uco/location/',
      'uco-observable': 'https://ontology.unifiedcyberontology.org/uco/observable/',
      'uco-tool': 'https://ontology.unifiedcyberontology.org/uco/tool/',
      'uco-types': 'https://ontology.unifiedcyberontology.org/uco/types/',
      'uco-vocabulary': 'https://ontology.unifiedcyberontology.org/uco/vocabulary/',
      xsd: 'http://www.w3.org/2001/XMLSchema#',
    },
    '@graph': [...nodes.values()],
  };
}

/** The item's digests as `uco-types:Hash` nodes, each method from the UCO hash-name vocabulary. */
function hashesOf(item: ReportItem): GraphNode[] {
  const pairs: Array<readonly [string, string | null | undefined]> = [
    ['SHA256', item.digests?.sha256],
    ['SHA512', item.digests?.sha512],
    ['MD5', item.digests?.md5],
    ['SHA1', item.digests?.sha1],
  ];
  return pairs
    .filter((pair): pair is readonly [string, string] => typeof pair[1] === 'string')
    .map(([method, value]) => ({
      '@id': `kb:hash-${method.toLowerCase()}-${item.id}`,
      '@type': 'uco-types:Hash',
      'uco-types:hashMethod': { '@type': 'uco-vocabulary:HashNameVocab', '@value': method },
      'uco-types:hashValue': { '@type': 'xsd:hexBinary', '@value': value },
    }));
}

/**
 * Who performed an entry, as far as its disclosures say: the person when
 * `actor.sub` is revealed, otherwise the role in the agency (public in every
 * entry), one identity for all such entries. Either is a member of its agency.
 */
function performerOf(entry: LogEntry, disclosures: readonly string[], define: (node: GraphNode) => Ref): Ref {
  const { agency, role } = entry.actor;
  const { sub } = revealFields(entry, disclosures).actor;
  const organization = define({
    '@id': `kb:organization-${part(agency)}`,
    '@type': 'uco-identity:Organization',
    'uco-core:name': agency,
  });
  const performer = define(
    typeof sub === 'string'
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
        },
  );
  define({
    '@id': `${performer['@id']}-member-of-${part(agency)}`,
    '@type': 'uco-core:Relationship',
    'uco-core:source': performer,
    'uco-core:target': organization,
    'uco-core:kindOfRelationship': 'Member_Of',
    'uco-core:isDirectional': true,
  });
  return performer;
}
