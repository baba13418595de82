import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import { armFaultPoints, FAULT_POINTS, FaultSpecError, faultPoint, parseFaultPoints } from '../../src/faults';
import { configError } from '../support/config-error';

function specError(spec: string): FaultSpecError {
  try {
    parseFaultPoints(spec);
  } catch (error) {
    if (error instanceof FaultSpecError) return error;
    throw error;
  }
  throw new Error(`expected "${spec}" to be refused`);
}

describe('fault points', () => {
  afterEach(() => armFaultPoints(new Map()));

  describe('parsing FAULT_POINTS', () => {
    it('when every named point is given an action, then each is planned with it', () => {
      const plan = parseFaultPoints(
        ' blob.before-rename=kill, log.after-commit=kill,blob.fsync=delay:2000,blob.after-rename=delay:0 ,' +
          'upload.before-intake=kill,upload.after-intake=kill',
      );
      expect([...plan.keys()].sort()).to.deep.equal(Object.keys(FAULT_POINTS).sort());
      expect(plan.get('blob.before-rename')).to.deep.equal({ kind: 'kill' });
      expect(plan.get('log.after-commit')).to.deep.equal({ kind: 'kill' });
      expect(plan.get('blob.fsync')).to.deep.equal({ kind: 'delay', ms: 2000 });
      expect(plan.get('blob.after-rename')).to.deep.equal({ kind: 'delay', ms: 0 });
    });

    it('when the value is empty or blank, then nothing is planned', () => {
      expect(parseFaultPoints('').size).to.equal(0);
      expect(parseFaultPoints('  ').size).to.equal(0);
    });

    for (const [spec, code] of [
      ['blob.rename=kill', 'UNKNOWN_POINT'],
      ['BLOB.FSYNC=kill', 'UNKNOWN_POINT'],
      ['toString=kill', 'UNKNOWN_POINT'],
      ['blob.fsync=crash', 'UNKNOWN_ACTION'],
      ['blob.fsync=delay', 'UNKNOWN_ACTION'],
      ['blob.fsync=delay:', 'UNKNOWN_ACTION'],
      ['blob.fsync=delay:-5', 'UNKNOWN_ACTION'],
      ['blob.fsync=delay:1.5', 'UNKNOWN_ACTION'],
      ['blob.fsync=delay:600001', 'UNKNOWN_ACTION'],
      ['blob.fsync=delay:2000,blob.fsync=kill', 'DUPLICATE_POINT'],
      ['blob.fsync', 'MALFORMED'],
      ['blob.fsync=kill,', 'MALFORMED'],
      ['blob.fsync = kill', 'MALFORMED'],
    ] as const) {
      it(`when FAULT_POINTS is "${spec}", then it is refused with ${code}`, () => {
        expect(specError(spec).code).to.equal(code);
      });
    }
  });

  describe('the configuration', () => {
    it('when FAULT_POINTS is unset, then no point is armed', () => {
      expect(loadConfig({}).faultPoints.size).to.equal(0);
      expect(loadConfig({ NODE_ENV: 'production' }).faultPoints.size).to.equal(0);
    });

    it('when FAULT_POINTS is valid, then the configuration carries the plan', () => {
      const plan = loadConfig({ FAULT_POINTS: 'log.after-commit=kill' }).faultPoints;
      expect(plan.get('log.after-commit')).to.deep.equal({ kind: 'kill' });
    });

    it('when FAULT_POINTS names an unknown point or action, then the service refuses to start, naming FAULT_POINTS', () => {
      expect(configError({ FAULT_POINTS: 'blob.rename=kill' }).variable).to.equal('FAULT_POINTS');
      expect(configError({ FAULT_POINTS: 'blob.fsync=slow' }).variable).to.equal('FAULT_POINTS');
    });

    it('when NODE_ENV is production, then any FAULT_POINTS is refused, valid or not', () => {
      expect(configError({ NODE_ENV: 'production', FAULT_POINTS: 'blob.fsync=delay:10' }).variable).to.equal(
        'FAULT_POINTS',
      );
    });
  });

  describe('acting at a point', () => {
    it('when nothing is armed, then a point returns nothing to wait for', () => {
      for (const point of Object.keys(FAULT_POINTS) as (keyof typeof FAULT_POINTS)[]) {
        expect(faultPoint(point)).to.equal(undefined);
      }
    });

    it('when a delay is armed at one point, then that point returns a wait and the others nothing', async () => {
      armFaultPoints(parseFaultPoints('blob.fsync=delay:1'));
      const wait = faultPoint('blob.fsync');
      expect(wait).to.be.instanceOf(Promise);
      expect(faultPoint('blob.before-rename')).to.equal(undefined);
      await wait;
    });

    it('when an empty plan is armed, then every point is disarmed again', () => {
      armFaultPoints(parseFaultPoints('blob.fsync=delay:1'));
      armFaultPoints(parseFaultPoints(''));
      expect(faultPoint('blob.fsync')).to.equal(undefined);
    });
  });
});
