// Debian's Chromium, headless, driven by playwright-core (which downloads no browser), for the
// status page's browser tests. It may reach one address only: every request to another is aborted
// and no host name resolves; its background services are off.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface ChromiumOptions {
  /** A fresh directory: the profile goes in `profile/` below it. */
  dir: string;
  /** The one address the browser may reach (any port), e.g. 127.0.0.1. */
  address: string;
  /** What to start instead of Chromium itself, e.g. a script that runs it inside a namespace. */
  executablePath?: string;
  extraHTTPHeaders?: Record<string, string>;
}

export async function launchChromium(options: ChromiumOptions): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: bash test/lab/host-deps.sh installs it`);
  const context = await chromium.launchPersistentContext(join(options.dir, 'profile'), {
    executablePath: options.executablePath ?? CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    colorScheme: 'dark',
    ...(options.extraHTTPHeaders ? { extraHTTPHeaders: options.extraHTTPHeaders } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${options.address}`,
    ],
  });
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === options.address ? route.continue() : route.abort(),
  );
  return context;
}

/** One attribute of every element the selector matches, in document order. */
export function attributes(page: Page, selector: string, name: string): Promise<string[]> {
  return page.$$eval(selector, (nodes, n) => nodes.map((node) => node.getAttribute(n) ?? ''), name);
}
