import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from '../../scripts/lib/service-process';

/** What a command-line run left: its exit code and both streams. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a compiled script of `scripts/` (e.g. `verify`, `upload`) as its own
 * process, as `npm run NAME --` would, and returns its exit code and output
 * whether it succeeded or not. stderr is a pipe, as in a job log, not a terminal.
 */
export async function runScript(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  const script = path.join(__dirname, '..', '..', 'scripts', `${name}.js`);
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, ...args], {
      env: childEnv({ LOG_LEVEL: 'warn', ...env }),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
