import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWebAppInPlace } from './web-build.js';

/**
 * Headless Debian Chromium driven by playwright-core, for the browser apps' end-to-end tests. The fake media
 * flags give getUserMedia a generated microphone (a beep) without a permission prompt; autoplay is allowed so
 * the ring tone and the remote audio play in a tab nobody clicked.
 */
export const CHROMIUM = '/usr/bin/chromium';

let built: Promise<void> | undefined;

/**
 * Builds web/ into dist/web (once per test process), which the PBX's HTTP listener then serves at /; published
 * file by file, since the other e2e worker's PBX may be serving dist/web to its browser meanwhile (web-build.ts).
 */
export function buildWebApp(): Promise<void> {
  built ??= buildWebAppInPlace();
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

/**
 * Headless Debian Chromium with a fake microphone (a beeping tone) and media permission granted, on a page served
 * from http://127.0.0.1 (a secure context, so getUserMedia and RTCPeerConnection are there). One per test file.
 */
export interface TestBrowser {
  page: Page;
  /** The page's origin. */
  origin: string;
  close(): Promise<void>;
}

export async function startBrowser(
  files: Record<string, { type: string; body: string | Buffer }> = {},
): Promise<TestBrowser> {
  const pages: Record<string, { type: string; body: string | Buffer }> = {
    '/': { type: 'text/html', body: '<!doctype html><title>zentrale webrtc test</title>' },
    ...files,
  };
  const http: HttpServer = createServer((req, res) => {
    const f = pages[(req.url ?? '/').split('?')[0]!];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': f.type }).end(f.body);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    const b = browser;
    return {
      page,
      origin,
      close: async () => {
        await b.close();
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
      },
    };
  } catch (err) {
    await browser?.close();
    http.close();
    throw err;
  }
}

/** Inbound audio of every RTCPeerConnection the page registered in `window.__pcs`: packets and energy. */
export async function inboundAudio(
  page: Page,
): Promise<{ packetsReceived: number; totalAudioEnergy: number; audioLevel: number }> {
  return page.evaluate(async () => {
    const w = window as unknown as { __pcs?: RTCPeerConnection[] };
    let packetsReceived = 0;
    let totalAudioEnergy = 0;
    let audioLevel = 0;
    for (const pc of w.__pcs ?? []) {
      const stats = await pc.getStats();
      stats.forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') {
          packetsReceived += Number(s.packetsReceived ?? 0);
          totalAudioEnergy += Number(s.totalAudioEnergy ?? 0);
          audioLevel = Math.max(audioLevel, Number(s.audioLevel ?? 0));
        }
      });
    }
    return { packetsReceived, totalAudioEnergy, audioLevel };
  });
}
