import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BaresipPhone, toneWav } from './support/baresip.js';
import { buildWebApp, DOCS, launchBrowser, login, newContext } from './support/browser.js';
import { heardShare } from './support/heard.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_WEB_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';

/**
 * The browser softphone (JsSIP over SIP WebSocket, WebRTC media through the PBX's gateway) in headless Chromium
 * against baresip phones: the browser calls a phone and is called by one; the phone hears the browser's
 * microphone (a tone file as fake capture) and the browser receives the phone's tone (inbound audio level from
 * RTCPeerConnection.getStats); mute, hold and DTMF (RFC 4733 through the gateway) from the browser. Skipped on a
 * server without a browser phone.
 */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const BROWSER_HZ = 700;
const PHONE_HZ = 440;

describe('e2e: the browser softphone', () => {
  let t: TestServer;
  let browser: Browser;
  let ctx: BrowserContext | undefined;
  const phones: BaresipPhone[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-web-audio-'));
  let offered = false;

  const phone = async (user: string, password: string, n: number, answer: 'auto' | 'manual') => {
    const p = new BaresipPhone({
      name: `soft-${user}`,
      user,
      password,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: PORT_BASE + 200 + n * 40,
      toneHz: PHONE_HZ,
      answer,
    });
    phones.push(p);
    await p.start();
    await p.waitRegistered();
    return p;
  };
  /** Logged in, with the browser phone registered; every RTCPeerConnection the page makes is kept for getStats. */
  const page = async (ext: string): Promise<Page> => {
    ctx = await newContext(browser, t.server.httpPort);
    await ctx.addInitScript({
      content: `window.__pcs = [];
        const Base = window.RTCPeerConnection;
        window.RTCPeerConnection = class extends Base {
          constructor(c) { super(c); window.__pcs.push(this); }
        };`,
    });
    const p = await ctx.newPage();
    await login(p, { domain: DEMO_DOMAIN, extension: ext, password: DEMO_WEB_PASSWORDS[ext]! });
    await p.waitForSelector('[data-testid=soft-state][data-state=registered]', { timeout: 15_000 });
    return p;
  };
  const inbound = (p: Page) =>
    p.evaluate(async () => {
      const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
      let packets = 0;
      let level = 0;
      let sent = 0;
      for (const pc of pcs) {
        const stats = await pc.getStats();
        stats.forEach(
          (s: {
            type: string;
            kind?: string;
            packetsReceived?: number;
            audioLevel?: number;
            packetsSent?: number;
          }) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') {
              packets += s.packetsReceived ?? 0;
              level = Math.max(level, s.audioLevel ?? 0);
            }
            if (s.type === 'outbound-rtp' && s.kind === 'audio') sent += s.packetsSent ?? 0;
          },
        );
      }
      return { packets, level, sent };
    });
  /** A key of the call's pad in the browser arrives at the phone as an RFC 4733 event (baresip reports it). */
  const keypad = async (p: Page, at: BaresipPhone, key: string) => {
    const got = at.waitFor('CALL_DTMF_START', 10_000, (e) => e.param === key);
    await p.click(`[data-testid=soft-call] [role=group] >> text="${key}"`);
    await got;
  };
  const needsGateway = (tc: TestContext): boolean => {
    if (offered) return true;
    tc.skip('this server offers no browser phone (/api/v1/me/webrtc)');
    return false;
  };

  before(async () => {
    await buildWebApp();
    t = await startTestServer();
    const wav = join(dir, `tone${BROWSER_HZ}.wav`);
    writeFileSync(wav, toneWav(BROWSER_HZ, 30));
    browser = await launchBrowser([`--use-file-for-fake-audio-capture=${wav}`]);
    const login = await fetch(`http://127.0.0.1:${t.server.httpPort}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain: DEMO_DOMAIN, extension: '101', password: DEMO_WEB_PASSWORDS['101'] }),
    });
    const { token } = (await login.json()) as { token: string };
    const r = await fetch(`http://127.0.0.1:${t.server.httpPort}/api/v1/me/webrtc`, {
      headers: { authorization: `Bearer ${token}` },
    });
    offered = r.ok;
    await fetch(`http://127.0.0.1:${t.server.httpPort}/api/v1/sessions/current`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
  });
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    for (const p of phones.splice(0)) await p.stop();
    await assertBaseline(t, 10_000);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the browser calls a phone: audio both ways (the phone hears the browser, the browser receives the phone)', async (tc) => {
    if (!needsGateway(tc)) return;
    const sabine = await phone('102', 'demo-Krueger-Pa55word', 0, 'auto');
    sabine.clearRecordings();
    const p = await page('101');
    await p.fill('input[name=dial]', '102');
    await p.press('input[name=dial]', 'Enter');
    await sabine.waitFor('CALL_ESTABLISHED', 15_000);
    await p.waitForSelector('[data-testid=soft-call][data-state=talking]', { timeout: 15_000 });
    await sleep(3000);
    const stats = await inbound(p);
    assert.ok(stats.packets > 50, `the browser received RTP (${stats.packets} packets)`);
    assert.ok(stats.sent > 50, `the browser sent RTP (${stats.sent} packets)`);
    assert.ok(stats.level > 0, `inbound audio level > 0 (${stats.level})`);
    // DTMF on a call the browser offered (the browser's telephone-event number, renumbered by the relay).
    await keypad(p, sabine, '#');
    await p.screenshot({ path: join(DOCS, 'client-softphone.png') });
    const closed = sabine.waitFor('CALL_CLOSED', 10_000);
    await p.click('[data-testid=soft-hangup]');
    await closed;
    await sleep(300);
    const heard = heardShare(sabine.lastRecording(), BROWSER_HZ, 'the phone hears the browser');
    assert.ok(heard > 0.5, `the phone hears the browser's tone (${heard.toFixed(2)})`);
  });

  it('a phone calls the browser: it rings, Answer, audio both ways; mute, hold and DTMF from the browser', async (tc) => {
    if (!needsGateway(tc)) return;
    const sabine = await phone('102', 'demo-Krueger-Pa55word', 0, 'manual');
    sabine.clearRecordings();
    const p = await page('101');
    assert.equal((await sabine.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
    await p.waitForSelector('[data-testid=soft-call][data-state=ringing]', { timeout: 15_000 });
    await p.waitForFunction(() => document.documentElement.dataset['ringtone'] === 'on');
    await p.click('[data-testid=soft-answer]');
    await sabine.waitFor('CALL_ESTABLISHED', 15_000);
    await p.waitForSelector('[data-testid=soft-call][data-state=talking]');
    await sleep(3000);
    const stats = await inbound(p);
    assert.ok(stats.packets > 50, `the browser received RTP (${stats.packets} packets)`);
    assert.ok(stats.level > 0, `inbound audio level > 0 (${stats.level})`);

    // DTMF from the browser's keypad reaches the phone as RFC 4733 events through the gateway (the phone's offer).
    await keypad(p, sabine, '5');
    // Mute: the button is pressed; hold and resume through the PBX.
    await p.click('[data-testid=soft-call] button[aria-pressed]');
    assert.equal(
      await p.getAttribute('[data-testid=soft-call] button[aria-pressed]', 'aria-pressed'),
      'true',
    );
    await p.click('[data-testid=soft-call] button[aria-pressed]');
    await p.click('[data-testid=soft-call][data-state=talking] >> text=Halten');
    await p.waitForSelector('[data-testid=soft-call][data-state=held]');
    await p.click('[data-testid=soft-call][data-state=held] >> text=Fortsetzen');
    await p.waitForSelector('[data-testid=soft-call][data-state=talking]');

    const closed = sabine.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await sabine.command('hangup')).ok, true);
    await closed;
    await p.waitForFunction(() => !document.querySelector('[data-testid=soft-call]'));
    const heard = heardShare(sabine.lastRecording(), BROWSER_HZ, 'the phone hears the browser');
    assert.ok(heard > 0.3, `the phone hears the browser's tone (${heard.toFixed(2)})`);
  });
});
