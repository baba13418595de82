import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import {
  checkGround,
  GroundNotAvailableError,
  groundsFor,
  isConventionOffence,
  OFFENCE_CATEGORY_CODES,
  REASONED_MOVES,
} from '../../src/orders/grounds';
import { basesFor, legalBasisErrors, type SubmittedOrder } from '../../src/orders/legal-basis';
import { DEFAULT_LEGAL_SETTINGS, INSTRUMENTS, type LegalSettings } from '../../src/orders/legal-settings';
import { DIRECTIONS, ORDER_KINDS, statesOf } from '../../src/orders/lifecycle';
import { configError } from '../support/config-error';

const codes = (...args: Parameters<typeof groundsFor>) => groundsFor(...args).map((g) => g.code);

/** The code of the error `run` throws, and its field reasons. */
function refusal(run: () => void): { code: string; reasons: string[] } {
  try {
    run();
  } catch (error) {
    const { code, fields } = error as { code: string; fields?: ReadonlyArray<{ reason: string }> };
    return { code, reasons: (fields ?? []).map((f) => f.reason) };
  }
  throw new Error('expected a refusal');
}

describe('refusal grounds per instrument (src/orders/grounds.ts)', () => {
  it('when the Budapest Convention closes the grounds, then preservation and traffic disclosure have the two of Arts 29(5) and 30(2), preservation the reserved one too, and MLA postpones only for proceedings', () => {
    expect(codes('BUDAPEST', 'preservation', 'incoming', 'refused')).to.deep.equal([
      'POLITICAL_OFFENCE',
      'ESSENTIAL_INTERESTS',
      'DUAL_CRIMINALITY',
    ]);
    expect(codes('BUDAPEST', 'traffic_disclosure', 'incoming', 'refused')).to.deep.equal([
      'POLITICAL_OFFENCE',
      'ESSENTIAL_INTERESTS',
    ]);
    expect(codes('BUDAPEST', 'mla', 'incoming', 'postponed')).to.deep.equal(['ONGOING_PROCEEDINGS']);
    expect(codes('BUDAPEST', 'mla', 'incoming', 'refused')).to.not.include('FISCAL_OFFENCE');
  });

  it('when the UN Convention refers to the Art. 40 grounds, then a political offence is no ground as such', () => {
    for (const kind of ['preservation', 'traffic_disclosure', 'mla'] as const) {
      const un = codes('UNCC', kind, 'incoming', 'refused');
      expect(un, kind).to.include.members(['ESSENTIAL_INTERESTS', 'DOMESTIC_LAW_PROHIBITS']);
      expect(un, kind).to.not.include('POLITICAL_OFFENCE');
    }
  });

  it('when an order is domestic, then its grounds are the domestic authority’s whatever article it cites; releasing data held for a refused MLA request states that request’s grounds', () => {
    expect(codes('UNCC', 'preservation', 'domestic', 'refused')).to.deep.equal(
      codes('DOMESTIC', 'preservation', 'domestic', 'refused'),
    );
    expect(codes('BUDAPEST', 'preservation', 'incoming', 'mla_refused')).to.deep.equal(
      codes('BUDAPEST', 'mla', 'incoming', 'refused'),
    );
  });

  it('when each table is read, then every ground is stated by a move its kind has, once per move', () => {
    for (const instrument of INSTRUMENTS) {
      for (const kind of ORDER_KINDS) {
        for (const direction of DIRECTIONS) {
          const states = statesOf(kind, direction);
          for (const move of REASONED_MOVES) {
            const found = codes(instrument, kind, direction, move);
            expect(new Set(found).size, `${instrument} ${kind} ${direction} ${move}`).to.equal(found.length);
            if (found.length > 0 && move !== 'mla_refused')
              expect(states, `${instrument} ${kind} ${direction} ${move}`).to.include(move);
          }
        }
      }
    }
  });

  it('when EU orders are refused, then the enforcing authority states Art. 12 grounds and the addressee Annex III ones, and neither the other’s', () => {
    expect(codes('EU_2023_1543', 'epoc', 'incoming', 'refused_by_enforcing')).to.have.members([
      'IMMUNITY_OR_PRIVILEGE',
      'PRESS_FREEDOM',
      'FUNDAMENTAL_RIGHTS',
      'NE_BIS_IN_IDEM',
      'DUAL_CRIMINALITY',
    ]);
    expect(codes('EU_2023_1543', 'epoc', 'incoming', 'impossible')).to.include('DE_FACTO_IMPOSSIBLE');
    expect(codes('EU_2023_1543', 'epoc', 'incoming', 'impossible')).to.not.include('FUNDAMENTAL_RIGHTS');
  });

  describe('dual criminality (Bud 29(3)-(4); UN 42(4)-(5))', () => {
    const preservation = (offenceCategory?: string, instrument = 'BUDAPEST') => ({
      kind: 'preservation' as const,
      direction: 'incoming' as const,
      legalBasis: { instrument },
      details: offenceCategory === undefined ? {} : { offenceCategory },
    });
    const reserved = { reservations: ['BUDAPEST:29(4)', 'UNCC:42(5)'] as const };
    const refuse = (order: ReturnType<typeof preservation>, settings: Pick<LegalSettings, 'reservations'>) =>
      refusal(() => checkGround(order, 'refused', 'DUAL_CRIMINALITY', settings));

    it('when the state made no reservation, then the ground is not available, whatever the offence', () => {
      expect(refuse(preservation('other'), DEFAULT_LEGAL_SETTINGS)).to.deep.equal({
        code: 'GROUND_NOT_AVAILABLE',
        reasons: ['no_reservation'],
      });
    });

    it('when the state reserved it, then it is available for an offence the Convention does not establish, and only then', () => {
      expect(refuse(preservation('computer_fraud'), reserved).reasons).to.deep.equal(['convention_offence']);
      expect(refuse(preservation(undefined), reserved).reasons).to.deep.equal(['offence_category_unknown']);
      expect(refuse(preservation('grooming', 'UNCC'), reserved).reasons).to.deep.equal([
        'convention_offence',
      ]);
      expect(() =>
        checkGround(preservation('grooming'), 'refused', 'DUAL_CRIMINALITY', reserved),
      ).to.not.throw();
      expect(() =>
        checkGround(preservation('other', 'UNCC'), 'refused', 'DUAL_CRIMINALITY', reserved),
      ).to.not.throw();
      expect(() =>
        checkGround(preservation('other', 'UNCC'), 'refused', 'DUAL_CRIMINALITY', {
          reservations: ['BUDAPEST:29(4)'],
        }),
      ).to.throw(GroundNotAvailableError);
    });

    it('when the offence categories are read, then `other` is no Convention offence and the rest are one under at least one Convention', () => {
      for (const category of OFFENCE_CATEGORY_CODES) {
        const established =
          isConventionOffence(category, 'UNCC') || isConventionOffence(category, 'BUDAPEST');
        expect(established, category).to.equal(category !== 'other');
      }
    });
  });
});

describe('legal bases, states and roles (src/orders/legal-basis.ts)', () => {
  const incoming: SubmittedOrder = {
    kind: 'preservation',
    direction: 'incoming',
    legalBasis: { instrument: 'BUDAPEST', article: '29(1)' },
    requestingState: 'DE',
    requestedState: 'AZ',
    safeguards: {},
  };
  const errorsOf = (order: Partial<SubmittedOrder>, settings: LegalSettings = DEFAULT_LEGAL_SETTINGS) =>
    legalBasisErrors({ ...incoming, ...order }, settings).map((e) => `${e.pointer} ${e.reason}`);

  it('when every kind and direction is read, then EU orders rest only on the Regulation, production is domestic only, and MLA never domestic', () => {
    for (const kind of ORDER_KINDS) {
      for (const direction of DIRECTIONS) {
        const instruments = basesFor(kind, direction).map((b) => b.instrument);
        if (kind === 'epoc' || kind === 'epoc_pr')
          expect(instruments, `${kind} ${direction}`).to.deep.equal(
            direction === 'domestic' ? [] : ['EU_2023_1543'],
          );
        else expect(instruments, `${kind} ${direction}`).to.not.include('EU_2023_1543');
      }
    }
    expect(basesFor('production', 'incoming')).to.deep.equal([]);
    expect(basesFor('mla', 'domestic')).to.deep.equal([]);
  });

  it('when a request fits, then there is nothing to say; when its article, instrument or states do not, then each is named', () => {
    expect(errorsOf({})).to.deep.equal([]);
    expect(errorsOf({ legalBasis: { instrument: 'BUDAPEST' } })).to.deep.equal([]);
    expect(errorsOf({ legalBasis: { instrument: 'BUDAPEST', article: '16' } })).to.deep.equal([
      '/legalBasis/article not_an_article_for_preservation',
    ]);
    expect(errorsOf({ legalBasis: { instrument: 'EU_2023_1543' } })).to.deep.equal([
      '/legalBasis/instrument not_a_basis_for_international_preservation',
    ]);
    expect(errorsOf({ requestingState: undefined })).to.deep.equal([
      '/requestingState required_for_incoming',
    ]);
    expect(errorsOf({ requestedState: 'GE' })).to.deep.equal(['/requestedState not_this_state']);
    expect(errorsOf({ requestingState: 'CN' })).to.deep.equal(['/requestingState not_a_party_to_budapest']);
    expect(
      errorsOf({ legalBasis: { instrument: 'UNCC', article: '42' }, requestingState: 'CN' }),
    ).to.deep.equal([]);
    expect(
      errorsOf(
        { legalBasis: { instrument: 'UNCC', article: '42' }, requestingState: 'CN' },
        { ...DEFAULT_LEGAL_SETTINGS, uncParties: ['DE'] },
      ),
    ).to.deep.equal([
      '/requestingState not_a_party_to_uncc',
      '/legalBasis/instrument this_state_not_a_party_to_uncc',
    ]);
  });

  it('when EU orders arrive or leave, then only the roles that receive or issue them take them', () => {
    const epoc = { kind: 'epoc' as const, legalBasis: { instrument: 'EU_2023_1543', article: '10' } };
    const provider = { ...DEFAULT_LEGAL_SETTINGS, euRoles: ['service_provider'] as const };
    expect(errorsOf(epoc)).to.deep.equal(['/kind eu_instrument_not_applicable']);
    expect(errorsOf(epoc, provider)).to.deep.equal([]);
    expect(errorsOf({ ...epoc, requestingState: 'DK' }, provider)).to.deep.equal([
      '/requestingState not_a_party_to_eu_2023_1543',
    ]);
    const outgoing = { ...epoc, direction: 'outgoing' as const, requestingState: 'DE', requestedState: 'US' };
    const issuing = { ...DEFAULT_LEGAL_SETTINGS, thisState: 'DE', euRoles: ['issuing_authority'] as const };
    expect(errorsOf(outgoing, provider)).to.deep.equal([
      '/requestingState not_this_state',
      '/kind eu_instrument_not_applicable',
    ]);
    expect(errorsOf(outgoing, issuing)).to.deep.equal([]);
  });

  it('when domestic law requires an authorising body, then an order without one and its decision is refused naming each', () => {
    const production = {
      kind: 'production' as const,
      direction: 'domestic' as const,
      legalBasis: { instrument: 'DOMESTIC', article: '27' },
      requestingState: undefined,
      requestedState: undefined,
    };
    expect(errorsOf(production)).to.deep.equal([
      '/authorisingBody required_by_domestic_law',
      '/authorisingReference required_by_domestic_law',
    ]);
    expect(
      errorsOf({ ...production, safeguards: { authorisingBody: 'Court', authorisingReference: 'D-1' } }),
    ).to.deep.equal([]);
    expect(errorsOf({ ...production, kind: 'preservation' })).to.deep.equal([]);
    expect(
      errorsOf(
        { ...production, kind: 'preservation' },
        { ...DEFAULT_LEGAL_SETTINGS, authorisationRequired: ['preservation'] },
      ),
    ).to.have.length(2);
  });
});

describe('legal settings in the configuration', () => {
  it('when nothing is set, then the deployment is Azerbaijan’s: no EU role, no reservation, production authorised', () => {
    expect(loadConfig({}).legal).to.deep.equal({
      thisState: 'AZ',
      euRoles: [],
      reservations: [],
      authorisationRequired: ['production'],
      uncParties: undefined,
    });
  });

  it('when lists are set, then they are read; an unknown reservation, a repeated role, or an EU authority outside the Union is refused', () => {
    const config = loadConfig({
      EU_ROLES: 'service_provider, legal_representative',
      RESERVATIONS: 'BUDAPEST:29(4)',
      ORDER_AUTHORISATION_REQUIRED: 'none',
      UNC_PARTIES: 'AZ,DE',
    });
    expect(config.legal).to.deep.include({
      euRoles: ['service_provider', 'legal_representative'],
      reservations: ['BUDAPEST:29(4)'],
      authorisationRequired: [],
      uncParties: ['AZ', 'DE'],
    });
    expect(configError({ RESERVATIONS: 'BUDAPEST:29(5)' }).variable).to.equal('RESERVATIONS');
    expect(configError({ EU_ROLES: 'service_provider,service_provider' }).variable).to.equal('EU_ROLES');
    expect(configError({ EU_ROLES: 'enforcing_authority' }).variable).to.equal('EU_ROLES');
    expect(loadConfig({ EU_ROLES: 'enforcing_authority', THIS_STATE: 'DE' }).legal.euRoles).to.deep.equal([
      'enforcing_authority',
    ]);
    expect(configError({ THIS_STATE: 'Azerbaijan' }).variable).to.equal('THIS_STATE');
  });
});
