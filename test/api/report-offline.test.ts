import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CompactSign } from 'jose';
import { Client } from 'pg';
import { encodeVerifierKey, noteSigner, parseTlogProof, parseVerifierKey } from '../../src/ledger';
import type { CustodyReport, ProvenReportEntry } from '../../src/reports/custody-report';
import { type TrustMaterial, type VerifyCode, verifyReport } from '../../src/verify';
import { withScratchDatabase } from '../support/database';
import { openCase, uploadItem } from '../support/fixtures';
import { runScript } from '../support/script';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';

/** A report's issuer that turned dishonest: its key is in the JWKS the court pinned, so its signature holds. */
interface DishonestIssuer {
  readonly kid: string;
  readonly key: KeyObject;
  readonly jwk: Record<string, unknown>;
}

function dishonestIssuer(): DishonestIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  const kid = 'dishonest-issuer';
  return { kid, key: privateKey, jwk: { kty, crv, x, kid, alg: 'EdDSA', use: 'sig' } };
}

describe('custody reports checked offline, from the signed report alone', function () {
  this.timeout(60_000);
  let service: TestService;
  let itemId = '';
  let token = '';
  let jwks: { keys: unknown[] } = { keys: [] };
  let vkey = '';
  let body: { report: CustodyReport; jws: string };
  let trust: TrustMaterial;
  /** The receipt of the sealing: a JWS of the receipt type, signed by the same keys. */
  let receipt = '';

  before(async () => {
    service = await startTestService();
    const agency = uniqueAgency();
    token = await service.token(uniqueSub('alice'), agency, 'investigator');
    const caseId = await openCase(service, token);
    itemId = await uploadItem(service, token, caseId);
    const sealed = await service.call('POST', `/v1/evidence/${itemId}/events`, {
      token,
      json: { type: 'custody.sealed', purpose: 'examination', sealNumber: 'S-1' },
    });
    expect(sealed.status).to.equal(201);
    receipt = sealed.body.receipt;
    expect((await service.call('POST', `/v1/evidence/${itemId}/fixity`, { token })).status).to.equal(201);
    const response = await service.call('GET', `/v1/evidence/${itemId}/report`, { token });
    expect(response.status).to.equal(200);
    body = response.body;
    jwks = (await service.call('GET', '/.well-known/jwks.json')).body;
    vkey = (await service.call('GET', '/v1/log/info')).body.vkey;
    trust = { jwks, logKey: parseVerifierKey(vkey) };
  });
  after(async () => {
    await service.stop();
  });

  it('when a report is fetched from the service, then its JWS alone verifies with the JWKS and the vkey, and every entry carries a tlog-proof against the report’s checkpoint', () => {
    const result = verifyReport(body.jws, trust);
    expect(result.failure).to.equal(undefined);
    expect(result.valid).to.equal(true);
    expect(result.report?.itemId).to.equal(itemId);
    expect(result.passed).to.have.length(5);
    const { report } = body;
    expect(report.entries.map(({ entry }) => entry.type)).to.deep.equal([
      'evidence.acquired',
      'custody.sealed',
      'integrity.verified',
      'report.issued',
    ]);
    for (const row of report.entries) {
      const proof = parseTlogProof(row.tlog_proof);
      expect(proof.index).to.equal(row.index);
      expect(proof.checkpoint).to.equal(report.log.checkpoint);
    }
    expect(result.report?.checkpoint.size).to.equal(report.log.size);
    // The JSON beside the JWS is what was signed.
    expect(verifyReport(body.jws, trust, report).valid).to.equal(true);
    expect(
      verifyReport(body.jws, trust, { ...report, generatedAt: new Date(0).toISOString() }).failure?.code,
    ).to.equal('REPORT_MISMATCH');
  });

  it('when a report is issued twice, then each issuance is one report.issued entry and the later report proves the earlier one', async () => {
    const again = (await service.call('GET', `/v1/evidence/${itemId}/report`, { token })).body as {
      report: CustodyReport;
      jws: string;
    };
    expect(verifyReport(again.jws, trust).valid).to.equal(true);
    const issued = again.report.entries.filter(({ entry }) => entry.type === 'report.issued');
    expect(issued).to.have.length(2);
    expect(issued[0]?.leafHash).to.equal(body.report.entries.at(-1)?.leafHash);
    expect(again.report.log.size).to.be.greaterThan(body.report.log.size);
  });

  it('when a receipt of the same keys is given as a report, then it is REPORT_MALFORMED (the typ differs)', () => {
    expect(receipt).to.be.a('string');
    expect(verifyReport(receipt, trust).failure?.code).to.equal('REPORT_MALFORMED');
  });

  it('when a log row was changed in the database, then the report the service signs fails offline with LEAF_HASH_MISMATCH', async () => {
    await withScratchDatabase(async (url) => {
      const own = await startTestService({ DATABASE_URL: url });
      try {
        const lead = await own.token(uniqueSub('lead'), uniqueAgency(), 'investigator');
        const item = await uploadItem(own, lead, await openCase(own, lead));
        const event = await own.call('POST', `/v1/evidence/${item}/events`, {
          token: lead,
          json: { type: 'custody.sealed', purpose: 'examination', sealNumber: 'S-9' },
        });
        expect(event.status).to.equal(201);
        const admin = new Client({ connectionString: url });
        await admin.connect();
        try {
          await admin.query('ALTER TABLE log_entries DISABLE TRIGGER log_entries_append_only');
          await admin.query(
            `UPDATE log_entries SET leaf_data = convert_to(replace(convert_from(leaf_data, 'UTF8'), 'custody.sealed', 'custody.unsealed'), 'UTF8')
              WHERE subject_id = $1 AND entry_type = 'custody.sealed'`,
            [item],
          );
        } finally {
          await admin.end();
        }
        const { jws } = (await own.call('GET', `/v1/evidence/${item}/report`, { token: lead })).body;
        const ownTrust = {
          jwks: (await own.call('GET', '/.well-known/jwks.json')).body,
          logKey: parseVerifierKey((await own.call('GET', '/v1/log/info')).body.vkey),
        };
        const result = verifyReport(jws, ownTrust);
        expect(result.failure?.code).to.equal('LEAF_HASH_MISMATCH');
        expect(result.failure?.where).to.equal('entries[1]');
      } finally {
        await own.stop();
      }
    });
  });

  it('when the signed payload is changed without a new signature, or signed by a key the court did not pin, then it fails with SIGNATURE_INVALID or KEY_UNKNOWN', async () => {
    const [header, , signature] = body.jws.split('.');
    const payload = Buffer.from(
      JSON.stringify({ ...body.report, entries: body.report.entries.slice(0, -1) }),
    ).toString('base64url');
    expect(verifyReport(`${header}.${payload}.${signature}`, trust).failure?.code).to.equal(
      'SIGNATURE_INVALID',
    );
    const stranger = dishonestIssuer();
    const resigned = await new CompactSign(new TextEncoder().encode(JSON.stringify(body.report)))
      .setProtectedHeader({ alg: 'EdDSA', kid: stranger.kid, typ: 'custody-report+jwt' })
      .sign(stranger.key);
    expect(verifyReport(resigned, trust).failure?.code).to.equal('KEY_UNKNOWN');
  });

  describe('a report changed by an issuer whose key the court trusts', () => {
    const issuer = dishonestIssuer();
    const signed = (report: unknown) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(report)))
        .setProtectedHeader({ alg: 'EdDSA', kid: issuer.kid, typ: 'custody-report+jwt' })
        .sign(issuer.key);
    const changed = (change: (report: CustodyReport) => unknown) =>
      change(JSON.parse(JSON.stringify(body.report)) as CustodyReport);
    const withEntries = (report: CustodyReport, entries: readonly ProvenReportEntry[]) => ({
      ...report,
      entries,
    });

    const tamperings: Array<[string, (report: CustodyReport) => unknown, VerifyCode]> = [
      [
        'an entry’s data is changed',
        (report) =>
          withEntries(
            report,
            report.entries.map((row, i) =>
              i === 1
                ? { ...row, entry: { ...row.entry, data: { ...row.entry.data, sealNumber: 'S-2' } } }
                : row,
            ),
          ),
        'LEAF_HASH_MISMATCH',
      ],
      [
        'a hash of an entry’s inclusion proof is changed',
        (report) =>
          withEntries(
            report,
            report.entries.map((row, i) => {
              if (i !== 0) return row;
              const lines = row.tlog_proof.split('\n');
              lines[2] = `${lines[2]?.startsWith('A') ? 'B' : 'A'}${lines[2]?.slice(1)}`;
              return { ...row, tlog_proof: lines.join('\n') };
            }),
          ),
        'INCLUSION_INVALID',
      ],
      [
        'the checkpoint’s signature is changed',
        (report) => {
          const lines = report.log.checkpoint.split('\n');
          const at = lines.length - 2;
          // A character well inside the signature (after the 4-byte key ID), each of whose bits counts.
          const signatureLineText = lines[at] as string;
          const flippedAt = signatureLineText.lastIndexOf(' ') + 21;
          lines[at] =
            `${signatureLineText.slice(0, flippedAt)}${signatureLineText[flippedAt] === 'A' ? 'B' : 'A'}${signatureLineText.slice(flippedAt + 1)}`;
          const checkpoint = lines.join('\n');
          return {
            ...report,
            log: { ...report.log, checkpoint },
            entries: report.entries.map((row) => ({
              ...row,
              tlog_proof: row.tlog_proof.replace(report.log.checkpoint, checkpoint),
            })),
          };
        },
        'CHECKPOINT_INVALID',
      ],
      [
        'an entry is removed (the sealing)',
        (report) =>
          withEntries(
            report,
            report.entries.filter((_row, i) => i !== 1),
          ),
        'CHAIN_INCOMPLETE',
      ],
      [
        'two entries are swapped',
        (report) =>
          withEntries(report, [
            report.entries[0],
            report.entries[2],
            report.entries[1],
            report.entries[3],
          ] as ProvenReportEntry[]),
        'REPORT_ORDER_INVALID',
      ],
      [
        'an entry’s proof is dropped',
        (report) =>
          withEntries(
            report,
            report.entries.map((row, i) => (i === 2 ? { ...row, tlog_proof: '' } : row)),
          ),
        'INCLUSION_UNPROVEN',
      ],
    ];

    for (const [what, change, code] of tamperings) {
      it(`when ${what} and the report is re-signed, then it fails with ${code}`, async () => {
        const courtTrust = { ...trust, jwks: { keys: [...jwks.keys, issuer.jwk] } };
        expect(verifyReport(await signed(body.report), courtTrust).valid).to.equal(true);
        const result = verifyReport(await signed(changed(change)), courtTrust);
        expect(result.valid).to.equal(false);
        expect(result.failure?.code).to.equal(code);
      });
    }
  });

  describe('npm run verify -- report', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'custody-report-cli-'));
      await writeFile(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
      await writeFile(path.join(dir, 'report.jws'), `${body.jws}\n`);
      await writeFile(path.join(dir, 'report.json'), JSON.stringify(body));
      const [header, payload, signature] = body.jws.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      claims.entries.pop();
      const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
      await writeFile(path.join(dir, 'forged.jws'), `${header}.${forged}.${signature}`);
      await writeFile(path.join(dir, 'garbage.jws'), '\u0000{not a report');
      const pdf = await fetch(new URL(`/v1/evidence/${itemId}/report.pdf`, service.url), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(pdf.status).to.equal(200);
      await writeFile(path.join(dir, 'report.pdf'), Buffer.from(await pdf.arrayBuffer()));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const verify = (file: string, key = vkey) =>
      runScript('verify', [
        'report',
        path.join(dir, file),
        '--jwks',
        path.join(dir, 'jwks.json'),
        '--vkey',
        key,
      ]);

    it('when given the report’s JWS or the service’s answer, the JWKS and the vkey, then it verifies offline and prints every check', async () => {
      for (const file of ['report.jws', 'report.json']) {
        const run = await verify(file);
        expect(run.code, run.stdout + run.stderr).to.equal(0);
        expect(run.stdout.match(/^ok {3}/gm), file).to.have.length(5);
        expect(run.stdout).to.contain(`evidence:${itemId}`);
      }
    });

    it('when given the court’s PDF, then its attached report, receipts, proofs and disclosures verify together, and not with another log’s key', async () => {
      const run = await verify('report.pdf');
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout).to.match(/^ok {3}1 of 1 signed reports verify$/m);
      expect(run.stdout).to.match(/^ok {3}(\d+) of \1 receipts verify$/m);
      const otherLog = encodeVerifierKey(
        'other.example/custody',
        noteSigner('other.example/custody', new Uint8Array(32).fill(5)).publicKey,
      );
      const refused = await verify('report.pdf', otherLog);
      expect(refused.code).to.equal(1);
      expect(refused.stdout).to.match(/^FAIL CHECKPOINT_INVALID /m);
    });

    it('when the report was changed, is garbage or the vkey is another log’s, then it exits 1 naming the code', async () => {
      const otherLog = encodeVerifierKey(
        'other.example/custody',
        noteSigner('other.example/custody', new Uint8Array(32).fill(5)).publicKey,
      );
      const cases: Array<[string, string, VerifyCode]> = [
        ['forged.jws', vkey, 'SIGNATURE_INVALID'],
        ['garbage.jws', vkey, 'REPORT_MALFORMED'],
        ['report.jws', otherLog, 'CHECKPOINT_INVALID'],
      ];
      for (const [file, key, code] of cases) {
        const run = await verify(file, key);
        expect(run.code, `${file}: ${run.stdout}${run.stderr}`).to.equal(1);
        expect(run.stdout).to.match(new RegExp(`^FAIL ${code} `, 'm'));
      }
    });
  });
});
