import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Skips the test when qpdf and pdftotext (Debian: qpdf, poppler-utils) are
 * missing: without them a PDF's text and attachments cannot be read back.
 * scripts/install-interop-tools.sh installs them, and CI sets
 * INTEROP_REQUIRED=1, under which their absence fails the test instead.
 */
export async function requirePdfTools(context: Mocha.Context): Promise<void> {
  const present = await Promise.all(
    ['qpdf', 'pdftotext'].map((tool) =>
      run('which', [tool]).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!present.includes(false)) return;
  if (process.env.INTEROP_REQUIRED === '1')
    throw new Error('qpdf and pdftotext are required: run scripts/install-interop-tools.sh');
  // Never in CI (INTEROP_REQUIRED=1, above): only on a machine without the tools.
  context.skip();
}
