import { expect } from 'chai';
import {
  CASE_PERMISSIONS,
  type CaseAction,
  caseRole,
  ROLE_REACH,
  SERVICE_PERMISSIONS,
  type ServiceAction,
  serviceRole,
} from '../../src/access/permissions';
import { ROLES, type Role } from '../../src/access/roles';
import { standingIn } from '../../src/access/scope';
import { LedgerError } from '../../src/errors';

/**
 * The access model of api.md, written out again as the specification: which
 * member role may take which action in a case (I: investigator, C: custodian,
 * P: prosecutor, J: court, A: auditor; partner and admin never act in a case).
 */
const CASE_SPEC: Record<CaseAction, string> = {
  'case.read': 'ICPJA',
  'case.share': 'P',
  'evidence.upload': 'I',
  'evidence.content': 'ICPJA',
  'evidence.report': 'ICPJA',
  'evidence.handle': 'IC',
  'evidence.receive': 'ICP',
  'evidence.hold': 'IP',
  'order.request': 'IP',
  'disclosure.create': 'P',
};
const LETTER: Partial<Record<Role, string>> = {
  investigator: 'I',
  custodian: 'C',
  prosecutor: 'P',
  court: 'J',
  auditor: 'A',
};

const SERVICE_SPEC: Record<ServiceAction, readonly Role[]> = {
  'case.open': ['investigator', 'prosecutor'],
  'order.submit_incoming': ['partner'],
  'order.handle': ['investigator', 'prosecutor'],
  'order.request_move': ['partner'],
  'order.enforce': ['partner'],
  'order.supplement': ['partner'],
  'order.read_status': ['partner'],
  'order.acknowledge_duty': ['custodian'],
  'disclosure.fetch': ['partner'],
  'principal.manage': ['admin'],
  'case.break_glass': ['investigator', 'prosecutor'],
  'order.statistics': ['investigator', 'prosecutor', 'auditor'],
  'notification.read': ['investigator', 'prosecutor', 'auditor', 'partner'],
};

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as LedgerError).code;
  }
}

describe('the permission table (api.md, who may do what)', () => {
  it('when the table is compared with the written specification, then they name the same actions', () => {
    expect(Object.keys(CASE_PERMISSIONS).sort()).to.deep.equal(Object.keys(CASE_SPEC).sort());
    expect(Object.keys(SERVICE_PERMISSIONS).sort()).to.deep.equal(Object.keys(SERVICE_SPEC).sort());
  });

  for (const action of Object.keys(CASE_SPEC) as CaseAction[]) {
    for (const role of ROLES) {
      const allowed = (CASE_SPEC[action] as string).includes(LETTER[role] ?? '-');
      it(`when a ${role} member asks for ${action}, then it is ${allowed ? 'allowed' : 'refused with FORBIDDEN_ROLE'}`, () => {
        const standing = { roles: [role], lead: false, content: true };
        if (allowed) expect(caseRole(standing, action)).to.equal(role);
        else expect(codeOf(() => caseRole(standing, action))).to.equal('FORBIDDEN_ROLE');
      });
    }
  }

  for (const action of Object.keys(SERVICE_SPEC) as ServiceAction[]) {
    it(`when any role asks for ${action}, then exactly ${SERVICE_SPEC[action].join(', ')} may`, () => {
      for (const role of ROLES) {
        const allowed = SERVICE_SPEC[action].includes(role);
        if (allowed) expect(serviceRole({ roles: [role] }, action), role).to.equal(role);
        else
          expect(
            codeOf(() => serviceRole({ roles: [role] }, action)),
            role,
          ).to.equal('FORBIDDEN_ROLE');
      }
    });
  }

  it('when a member’s grants do not open the bytes, then content is refused whatever its role', () => {
    for (const role of ['investigator', 'prosecutor', 'court'] as const) {
      expect(
        codeOf(() => caseRole({ roles: [role], lead: false, content: false }, 'evidence.content')),
      ).to.equal('FORBIDDEN_ROLE');
    }
  });

  it('when the lead shares, then it may whatever its role; a lead without a case role may not', () => {
    expect(caseRole({ roles: ['investigator'], lead: true, content: true }, 'case.share')).to.equal(
      'investigator',
    );
    expect(codeOf(() => caseRole({ roles: [], lead: true, content: true }, 'case.share'))).to.equal(
      'FORBIDDEN_ROLE',
    );
  });

  it('when reaches are compared, then read-only roles reach least and partners and admins reach nothing', () => {
    expect(ROLE_REACH.court).to.be.below(ROLE_REACH.custodian);
    expect(ROLE_REACH.auditor).to.equal(ROLE_REACH.court);
    expect(ROLE_REACH.custodian).to.be.below(ROLE_REACH.investigator);
    expect(ROLE_REACH.prosecutor).to.equal(ROLE_REACH.investigator);
    expect(ROLE_REACH.partner).to.equal(0);
    expect(ROLE_REACH.admin).to.equal(0);
  });

  describe('standing in a case', () => {
    const requester = { sub: 'a', agency: 'AZ-SSS', roles: ['auditor'] as Role[] };
    it('when an auditor has no grant, then it oversees its own agency’s cases without opening bytes', () => {
      expect(standingIn(requester, 'AZ-SSS', { roles: [], lead: false, content: false })).to.deep.equal({
        roles: ['auditor'],
        lead: false,
        content: false,
      });
      expect(standingIn(requester, 'DE-BKA', { roles: [], lead: false, content: false })).to.equal(undefined);
    });
    it('when nobody granted anything and the caller audits nothing, then the case is out of scope', () => {
      const investigator = { ...requester, roles: ['investigator'] as Role[] };
      expect(standingIn(investigator, 'AZ-SSS', { roles: [], lead: false, content: false })).to.equal(
        undefined,
      );
    });
  });
});
