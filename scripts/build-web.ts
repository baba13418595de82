/**
 * Bundles the browser code in `web/` with esbuild: the console (`/`, a script
 * and a style sheet beside its page) and the verifier page, which is one
 * self-contained HTML file (script and style inline) so that it also works
 * from `file://` inside a package with the network off. Output goes to
 * `<outDir>/web`, beside the compiled service that serves it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..', '..');
const WEB = path.join(ROOT, 'web');
/** `dist/scripts/build-web.js` writes `dist/web`; any `--outDir` works the same way. */
export const WEB_OUT = path.resolve(__dirname, '..', 'web');

const common: BuildOptions = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  tsconfig: path.join(WEB, 'tsconfig.json'),
};

/** `sha256-…` source expression for a Content-Security-Policy that allows exactly this inline text. */
function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

async function bundle(entry: string): Promise<{ js: string; css: string }> {
  const result = await build({ ...common, entryPoints: [path.join(WEB, entry)], write: false, outdir: '/' });
  const text = (ext: string) => result.outputFiles.find((file) => file.path.endsWith(ext))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}

/**
 * The console: `index.html` loads the module `app.js` and `app.css` from
 * `/assets/`; what a page needs only sometimes (the package verifier, with
 * pdf-lib) is split into chunks that load when used.
 */
async function buildConsole(): Promise<void> {
  const out = path.join(WEB_OUT, 'assets');
  await rm(out, { recursive: true, force: true });
  await build({
    ...common,
    format: 'esm',
    splitting: true,
    entryPoints: { app: path.join(WEB, 'console', 'main.tsx') },
    outdir: out,
    chunkNames: 'chunk-[hash]',
  });
  await writeFile(path.join(WEB_OUT, 'index.html'), await readFile(path.join(WEB, 'console', 'index.html')));
}

/**
 * The verifier: one file. Its own Content-Security-Policy allows only its own
 * inline script and style (by hash) and no connection at all, so the browser
 * itself guarantees the page cannot reach the network.
 */
async function buildVerifier(): Promise<void> {
  const { js, css } = await bundle('verify/main.tsx');
  const template = await readFile(path.join(WEB, 'verify', 'verify.html'), 'utf8');
  const script = js.replaceAll('</script', '<\\/script');
  const policy = [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    `style-src ${cspHash(css)}`,
    'img-src data:',
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
  const page = template
    .replace('<!--CSP-->', `<meta http-equiv="Content-Security-Policy" content="${policy}">`)
    .replace('<!--STYLE-->', () => `<style>${css}</style>`)
    .replace('<!--SCRIPT-->', () => `<script>${script}</script>`);
  await mkdir(WEB_OUT, { recursive: true });
  await writeFile(path.join(WEB_OUT, 'verify.html'), page);
}

export async function buildWeb(): Promise<void> {
  await Promise.all([buildConsole(), buildVerifier()]);
}

if (require.main === module) {
  buildWeb().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
