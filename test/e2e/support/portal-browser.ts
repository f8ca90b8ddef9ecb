import { chromium, type Browser, type Page } from 'playwright-core';

// One build of web/ per test process, published without disturbing the other worker's pages (web-build.ts).
export { buildWebApp } from './browser.js';

/** Debian's chromium, headless; never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
}

/** A fresh browser context logged in through the login page. */
export async function loggedIn(
  browser: Browser,
  httpPort: number,
  who: { domain: string; extension: string; password: string },
  start = '/',
): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`http://127.0.0.1:${httpPort}${start}`);
  await page.fill('input[name=domain]', who.domain);
  await page.fill('input[name=extension]', who.extension);
  await page.fill('input[name=password]', who.password);
  await page.press('input[name=password]', 'Enter');
  await page.waitForSelector('nav');
  if (start !== '/') await page.goto(`http://127.0.0.1:${httpPort}${start}`);
  return page;
}

/** Client ports for sipp, derived from this run's RTP range so parallel runs never collide. */
export function clientPort(n: number): number {
  const start = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]);
  return start - 500 + n;
}
