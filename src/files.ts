import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';

/**
 * Creates `file` with `text` (mode 0600) only if it does not exist yet; false
 * when another writer was first. The text is written to a temporary file and
 * linked into place, so a reader never sees it half-written.
 */
export async function createFileExclusively(file: string, text: string): Promise<boolean> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.unlink(temporary);
  }
}
