import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Headless Debian Chromium driven by playwright-core, for the browser apps' end-to-end tests. The fake media
 * flags give getUserMedia a generated microphone (a beep) without a permission prompt; autoplay is allowed so
 * the ring tone and the remote audio play in a tab nobody clicked.
 */
export const CHROMIUM = '/usr/bin/chromium';
const WEB_CONFIG = fileURLToPath(new URL('../../../web/vite.config.ts', import.meta.url));

let built: Promise<void> | undefined;

/** Builds web/ into dist/web (once per test process), which the PBX's HTTP listener then serves at /. */
export function buildWebApp(): Promise<void> {
  built ??= (async () => {
    const { build } = await import('vite');
    await build({ configFile: WEB_CONFIG, logLevel: 'warn' });
  })();
  return built;
}

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

/** A fresh browser profile (its own localStorage) at the PBX's address, with notifications allowed. */
export async function newContext(browser: Browser, httpPort: number): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    baseURL: `http://127.0.0.1:${httpPort}`,
    viewport: { width: 1280, height: 800 },
  });
  await ctx.grantPermissions(['notifications', 'microphone']);
  return ctx;
}

/** Logs in through the form and waits for the shell. */
export async function login(
  page: Page,
  o: { domain: string; extension: string; password: string },
): Promise<void> {
  await page.goto('/');
  await page.fill('input[name=domain]', o.domain);
  await page.fill('input[name=extension]', o.extension);
  await page.fill('input[name=password]', o.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=who]');
}

/** The repository's docs/ folder, where the tests keep their screenshots of the main windows. */
export const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
