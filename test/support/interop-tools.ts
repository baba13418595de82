import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The independent tools of test/interop for tests outside it: Python jwcrypto
 * (verify_jws.py) for receipts and the Go program over golang.org/x/mod/sumdb
 * (go/verify.go) for tlog-proofs, both from Debian packages
 * (scripts/install-interop-tools.sh). Sources are read from the source tree.
 */
export const INTEROP = path.join(__dirname, '..', '..', '..', 'test', 'interop');
const GO_SOURCE = path.join(INTEROP, 'go', 'verify.go');
export const JWS_SCRIPT = path.join(INTEROP, 'verify_jws.py');
const GOPATH = '/usr/share/gocode';
const XMOD = path.join(GOPATH, 'src', 'golang.org', 'x', 'mod', 'sumdb');
export const DEBIAN_PYTHON = '/usr/bin/python3';

interface Output {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with `input` on stdin and collects its output; never rejects on a non-zero exit. */
export function runTool(
  command: string,
  args: readonly string[],
  input: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => {}); // a child that exits early closes stdin; 'close' reports it
    child.stdin.end(input);
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `go` on PATH, else Debian's /usr/lib/go/bin/go; undefined when neither exists. */
function findGo(): string | undefined {
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir.length > 0)
    .map((dir) => path.join(dir, 'go'));
  return [...onPath, '/usr/lib/go/bin/go'].find(isExecutable);
}

/** The environment of a Debian machine: its own PATH, and no Python variables (pyenv) to steer its python3. */
export function debianEnv(): NodeJS.ProcessEnv {
  return { ...pythonEnv(), PATH: '/usr/bin:/bin' };
}

/** Python variables (pyenv and the like) must not steer the Debian interpreter. */
export function pythonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('PYTHON')) delete env[name];
  return env;
}

/** The tools that are not installed, as the Debian packages that bring them. */
export async function missingInteropTools(): Promise<string[]> {
  const missing: string[] = [];
  if (!findGo()) missing.push('go (golang-go)');
  if (!existsSync(path.join(XMOD, 'note', 'note.go')) || !existsSync(path.join(XMOD, 'tlog', 'tlog.go')))
    missing.push(`golang.org/x/mod source under ${GOPATH} (golang-golang-x-mod-dev)`);
  const python = isExecutable(DEBIAN_PYTHON)
    ? await runTool(DEBIAN_PYTHON, ['-I', '-c', 'import jwcrypto.jwk, jwcrypto.jws'], '', {
        env: debianEnv(),
      })
    : undefined;
  if (python?.code !== 0) missing.push(`jwcrypto for ${DEBIAN_PYTHON} (python3-jwcrypto)`);
  return missing;
}

/** Builds go/verify.go into `workDir` against Debian's packaged x/mod sources, offline; returns the binary. */
export async function buildGoVerifier(workDir: string): Promise<string> {
  const binary = path.join(workDir, 'verify');
  const goCache = path.join(os.tmpdir(), 'custody-interop-gocache');
  mkdirSync(goCache, { recursive: true });
  const build = await runTool(findGo() as string, ['build', '-o', binary, GO_SOURCE], '', {
    cwd: workDir,
    timeoutMs: 170_000,
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH,
      GOFLAGS: '',
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
      GOCACHE: goCache,
    },
  });
  if (build.code !== 0 || !isExecutable(binary))
    throw new Error(`go build of ${GO_SOURCE} failed (exit ${build.code}):\n${build.stderr}`);
  return binary;
}
