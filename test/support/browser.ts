import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, installed by scripts/install-interop-tools.sh. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches Debian's Chromium, headless. Without it the calling suite is
 * skipped, unless INTEROP_REQUIRED=1 (CI), where its absence is a failure.
 */
export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.INTEROP_REQUIRED === '1')
      throw new Error('INTEROP_REQUIRED=1 but /usr/bin/chromium is missing');
    // Only on a machine without Debian's chromium; CI sets INTEROP_REQUIRED=1 (above), so it never skips there.
    context.skip();
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** What a page did wrong: uncaught errors and console errors (CSP violations among them). */
export function watchProblems(page: Page, origin?: string): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (origin === undefined || new URL(page.url()).origin === origin) problems.push(message.text());
  });
  return problems;
}
