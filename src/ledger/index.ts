/**
 * The pure ledger: hashing, entries, the RFC 6962 tree and proofs, signed notes,
 * checkpoints and tlog-proofs, chain verification. No database, network or file
 * system; bytes in and out, so the same code runs in the offline verifier and a browser.
 */
export * from './chain';
export * from './checkpoint';
export * from './encoding';
export * from './entry';
export * from './hash';
export * from './merkle';
export * from './note';
export * from './selective-disclosure';
export * from './tlog-proof';
