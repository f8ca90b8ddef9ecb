import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

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
      executablePath: '/usr/bin/chromium',
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
