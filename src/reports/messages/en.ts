/**
 * The fixed texts of a court custody report, in English. Every language
 * (az.ts, ru.ts) gives the same keys; values are i18next templates whose
 * `{{names}}` are filled with what was entered, unchanged.
 */
export const en = {
  title: 'Chain of custody report',
  generated: 'Generated {{at}} from log {{origin}} (size {{size}}).',
  issuedTo: 'Issued to',
  issuedMember: '{{who}}, a member of the case: every recorded field is shown.',
  issuedRecipient:
    '{{who}}, as the recipient of disclosure {{disclosure}}: fields not disclosed to it read {{withheld}}.',
  issuedOutside: '{{who}}, outside the case: fields that are not public read {{withheld}}.',
  withheld: '[withheld]',
  reportHash: 'SHA-256 of the signed report (attached file report.jws)',
  verificationPage: 'Verification page',
  verificationPageNote:
    'The browser verifier at this address checks the attached files; the steps at the end of this report work without it, with standard tools.',
  verdict: 'Verdict',
  verified:
    'VERIFIED: the stored bytes match the digests taken at intake, and every custody entry is intact, linked and in the signed log.',
  failed: 'FAILED: at least one check below did not pass. The record cannot be relied on as it stands.',
  pass: 'PASS',
  fail: 'FAIL',
  checkBytes: 'Stored bytes',
  checkChain: 'Chain links and leaf hashes',
  checkInclusion: 'Inclusion in the log',
  checkConsistency: 'Consistency of earlier checkpoints',
  caseHeading: 'Case and legal basis',
  case: 'Case',
  legalBasis: 'Legal basis',
  orders: 'Orders',
  noOrder: 'No order is linked to this item.',
  onlyThisOrder: 'Only the order this disclosure answers is shown; any other is {{withheld}}.',
  order: 'Order {{kind}}',
  orderLine: '{{id}} ({{status}}), from {{from}}, basis {{basis}}',
  breakGlass: 'Break-glass access to the case',
  breakGlassLine: '{{who}} ({{agency}}, {{role}}) until {{until}}: {{why}}',
  item: 'Item',
  exhibit: 'Exhibit',
  description: 'Description',
  source: 'Source',
  acquired: 'Acquired',
  acquiredLine: '{{at}} by {{by}}',
  acquisitionTool: 'Acquisition tool',
  location: 'Location',
  fileName: 'File name',
  size: 'Size',
  bytes: '{{size}} bytes',
  acquisitionHash: 'Acquisition hash ({{alg}}, from the imaging tool)',
  entries: 'Custody entries ({{count}})',
  entryBy: 'by {{person}} ({{role}}, {{agency}})',
  logPosition: 'log index {{index}}, leaf {{leaf}}',
  anomalies: 'Anomalies',
  noAnomalies: 'None found.',
  checkpoint: 'Signed checkpoint this report was verified against',
  certification: 'Certification',
  certIssuedBy: 'Issued by',
  certIssuedByValue: 'the custody ledger of log {{origin}}',
  certFor: 'For',
  certWhen: 'When',
  certKey: 'Signed with',
  certKeyValue: 'receipt key {{kid}} (EdDSA), published in the attached jwks.json',
  signature: "Custodian's signature, where local practice requires one",
  signatureName: 'Name, position, date',
  howTo: 'How to check this report without this service',
  howToAttached:
    'This PDF carries its evidence as attached files (PDF/A-3): report.jws (the signed report, {{length}} characters), receipts/<index>.jws (a receipt for every entry above), disclosures/<index>.json, jwks.json (receipt keys) and log.vkey (log key). Extract them with any PDF reader, or with: qpdf --show-attachment=report.jws THIS.pdf',
  howToTools: 'Each receipt verifies offline with the pinned keys:',
  howToIndependent:
    'Independent tools work as well: Go golang.org/x/mod/sumdb (note, tlog) and any JOSE library; README.txt of a disclosure package and docs/verifying.md give the steps.',
  howToBrowser: 'The browser verifier: {{url}}',
  footer: '{{exhibit}}item {{id}} - page {{page}} of {{pages}}',
  footerExhibit: 'Exhibit {{number}} - ',
} as const;

/** The keys every language gives. */
export type ReportMessages = { readonly [key in keyof typeof en]: string };
