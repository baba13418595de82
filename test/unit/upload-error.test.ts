import { expect } from 'chai';
import multer from 'multer';
import { DependencyUnavailableError, LedgerError } from '../../src/errors';
import { uploadError } from '../../src/http/evidence-upload';
import { createLogger } from '../../src/logger';

/** A system error as Node's fs raises it. */
function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed`), { code, errno: -5, syscall: 'write' });
}

describe('what an upload that failed mid-body answers', () => {
  const logger = createLogger('silent');

  for (const code of ['EIO', 'EROFS']) {
    it(`when the evidence volume fails with ${code}, then 503 DEPENDENCY_UNAVAILABLE (a retry may succeed), not 400`, () => {
      const answer = uploadError(systemError(code), logger);
      expect(answer).to.be.instanceOf(DependencyUnavailableError);
      expect((answer as LedgerError).code).to.equal('DEPENDENCY_UNAVAILABLE');
    });
  }

  it('when the body stream breaks off, then 400 UPLOAD_INVALID', () => {
    const answer = uploadError(new Error('Unexpected end of form'), logger);
    expect((answer as LedgerError).code).to.equal('UPLOAD_INVALID');
  });

  it('when the file exceeds its limit, then 413 PAYLOAD_TOO_LARGE', () => {
    const answer = uploadError(new multer.MulterError('LIMIT_FILE_SIZE', 'file'), logger);
    expect((answer as LedgerError).code).to.equal('PAYLOAD_TOO_LARGE');
  });
});
