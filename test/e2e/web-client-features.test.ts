import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BaresipPhone } from './support/baresip.js';
import { buildWebApp, launchBrowser, login, newContext } from './support/browser.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_WEB_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';

/**
 * More windows of the desktop client in headless Chromium against real baresip phones: editing the monitored
 * list (kept on the PBX), the queue a call-center call came from, call pull from the desk phone to the browser
 * phone, and "call as" an executive for an assistant (the called phone shows the executive).
 */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const DEVICE_PASSWORDS: Record<string, string> = {
  '100': 'demo-Heiden-Pa55word',
  '101': 'demo-Brandt-Pa55word',
  '102': 'demo-Krueger-Pa55word',
};

describe('e2e: the browser desktop client (list editing, queue, pull, call as)', () => {
  let t: TestServer;
  let browser: Browser;
  let ctx: BrowserContext | undefined;
  const phones: BaresipPhone[] = [];

  const page = async (ext: string, o: { browserPhone: boolean }): Promise<Page> => {
    ctx = await newContext(browser, t.server.httpPort);
    await ctx.addInitScript({
      content: o.browserPhone
        ? // Every RTCPeerConnection the page makes is kept for getStats.
          `window.__pcs = [];
          const Base = window.RTCPeerConnection;
          window.RTCPeerConnection = class extends Base {
            constructor(c) { super(c); window.__pcs.push(this); }
          };`
        : `localStorage.setItem('zentrale.browserPhone', 'false');`,
    });
    const p = await ctx.newPage();
    await login(p, { domain: DEMO_DOMAIN, extension: ext, password: DEMO_WEB_PASSWORDS[ext]! });
    if (o.browserPhone)
      await p.waitForSelector('[data-testid=soft-state][data-state=registered]', { timeout: 15_000 });
    return p;
  };
  const phone = async (user: string, n: number, answer: 'auto' | 'manual'): Promise<BaresipPhone> => {
    const p = new BaresipPhone({
      name: `webf-${user}`,
      user,
      password: DEVICE_PASSWORDS[user]!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: PORT_BASE + n * 40,
      toneHz: 440 + n * 100,
      answer,
    });
    phones.push(p);
    await p.start();
    await p.waitRegistered();
    return p;
  };
  /** The API as a workplace (its own web session), for what the test sets up or checks beside the browser. */
  const apiAs = async (ext: string) => {
    const base = `http://127.0.0.1:${t.server.httpPort}`;
    const r = await fetch(`${base}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain: DEMO_DOMAIN, extension: ext, password: DEMO_WEB_PASSWORDS[ext] }),
    });
    const { token } = (await r.json()) as { token: string };
    const request = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.ok(res.ok, `${method} ${path}: ${res.status}`);
      return res.status === 204 ? undefined : res.json();
    };
    return { request, logout: () => request('DELETE', '/api/v1/sessions/current') };
  };
  const order = (p: Page, sel: string) =>
    p.$$eval(sel, (els) => els.map((e) => e.getAttribute('data-extension')));

  before(async () => {
    await buildWebApp();
    t = await startTestServer();
    browser = await launchBrowser();
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
  });

  it('edit the monitored list: remove, add, reorder, save; the BLF window and the API show it after a reload', async () => {
    const karin = await apiAs('100');
    try {
      const p = await page('100', { browserPhone: false });
      await p.click('nav a[href="/contacts"]');
      const edit = '[data-testid=blf-edit-entry]';
      const entry = (ext: string) => `${edit}[data-extension="${ext}"]`;
      await p.waitForSelector(entry('103'));
      assert.deepEqual(await order(p, edit), ['101', '102', '103']);

      await p.click(`${entry('103')} button:has-text("✕")`);
      await p.selectOption('[data-testid=blf-add-select]', '104');
      await p.click('[data-testid=blf-edit] form button[type=submit]');
      await p.click(`${entry('104')} button:has-text("↑")`);
      await p.click(`${entry('101')} button:has-text("↓")`);
      assert.deepEqual(await order(p, edit), ['104', '101', '102']);
      // Not saved yet: the BLF window still shows the PBX's list.
      assert.deepEqual(await order(p, '[data-testid=blf-entry]'), ['101', '102', '103']);
      await p.click('[data-testid=blf-save]');
      await p.waitForFunction(
        () =>
          [...document.querySelectorAll('[data-testid=blf-entry]')]
            .map((e) => e.getAttribute('data-extension'))
            .join() === '104,101,102',
      );

      await p.reload();
      await p.waitForSelector('[data-testid=blf-entry][data-extension="104"]');
      assert.deepEqual(await order(p, '[data-testid=blf-entry]'), ['104', '101', '102']);
      assert.deepEqual(await order(p, edit), ['104', '101', '102']);
      const listed = (await karin.request('GET', '/api/v1/me/blf')) as { extension: string }[];
      assert.deepEqual(
        listed.map((w) => w.extension),
        ['104', '101', '102'],
      );
    } finally {
      await karin.request('PUT', '/api/v1/me/blf', { extensions: ['101', '102', '103'] });
      await karin.logout();
    }
  });

  it('a call-center call shows the queue it came from in Active conversations, ringing and answered', async () => {
    const jonas = await phone('101', 1, 'manual');
    const sabine = await phone('102', 2, 'manual');
    const agent = await apiAs('101');
    try {
      await agent.request('PUT', '/api/v1/me/callcenter/groups/600', { loggedIn: true });
      await agent.request('PUT', '/api/v1/me/callcenter/status', { status: 'available' });
      const p = await page('101', { browserPhone: false });
      assert.equal((await sabine.command('dial', `sip:600@${DEMO_DOMAIN}`)).ok, true);
      await jonas.waitFor('CALL_INCOMING', 15_000);
      const call = '[data-testid=call][data-state=ringing] [data-testid=call-queue]';
      await p.waitForSelector(call, { timeout: 10_000 });
      assert.match((await p.textContent(call)) ?? '', /Warteschlange: (Support|600)/);
      assert.equal((await jonas.command('accept')).ok, true);
      await jonas.waitFor('CALL_ESTABLISHED', 10_000);
      await p.waitForSelector('[data-testid=call][data-state=talking] [data-testid=call-queue]');
      const closed = sabine.waitFor('CALL_CLOSED', 10_000);
      await p.click('[data-testid=call] button.danger');
      await closed;
      await p.waitForFunction(() => document.querySelectorAll('[data-testid=call]').length === 0);
    } finally {
      await agent.request('PUT', '/api/v1/me/callcenter/status', { status: 'signed-out' });
      await agent.request('PUT', '/api/v1/me/callcenter/groups/600', { loggedIn: false });
      await agent.logout();
    }
  });

  it('call pull: a call answered on the desk phone moves to the browser phone; the caller stays connected', async () => {
    const jonas = await phone('101', 1, 'manual');
    const sabine = await phone('102', 2, 'manual');
    const p = await page('101', { browserPhone: true });
    assert.equal((await sabine.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
    // The call rings the desk phone and the browser in parallel; the desk phone answers.
    await jonas.waitFor('CALL_INCOMING', 10_000);
    await p.waitForSelector('[data-testid=soft-call][data-state=ringing]', { timeout: 10_000 });
    assert.equal((await jonas.command('accept')).ok, true);
    await jonas.waitFor('CALL_ESTABLISHED', 10_000);
    await sabine.waitFor('CALL_ESTABLISHED', 10_000);
    await p.waitForFunction(() => !document.querySelector('[data-testid=soft-call]'));
    await p.waitForSelector('[data-testid=call][data-state=talking]');

    const deskLeaves = jonas.waitFor('CALL_CLOSED', 15_000);
    await p.click('[data-testid=call][data-state=talking] >> text=Hierher holen');
    // The PBX calls the browser with the auto-answer hint; the browser takes it without a click.
    await p.waitForSelector('[data-testid=soft-call][data-state=talking]', { timeout: 15_000 });
    await deskLeaves;
    await p.waitForSelector('[data-testid=call][data-state=talking]');
    await sleep(1500);
    const received = await p.evaluate(async () => {
      let n = 0;
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs)
        (await pc.getStats()).forEach((s: { type: string; packetsReceived?: number }) => {
          if (s.type === 'inbound-rtp') n += s.packetsReceived ?? 0;
        });
      return n;
    });
    assert.ok(received > 20, `the browser receives the caller's audio (${received} packets)`);
    assert.equal(
      sabine.events.some((e) => e.type === 'CALL_CLOSED'),
      false,
      'the caller is still connected',
    );
    const closed = sabine.waitFor('CALL_CLOSED', 10_000);
    await p.click('[data-testid=soft-hangup]');
    await closed;
  });

  it('call as: an assistant calls as the executive; the called phone shows the executive', async () => {
    const desk = await phone('102', 2, 'auto');
    const jonas = await phone('101', 1, 'manual');
    const p = await page('102', { browserPhone: false });
    await p.waitForSelector('[data-testid=call-as] option[value="100"]', { state: 'attached' });
    await p.selectOption('[data-testid=call-as]', '100');
    await p.fill('input[name=dial]', '101');
    await p.press('input[name=dial]', 'Enter');
    await desk.waitFor('CALL_ESTABLISHED', 10_000);
    const shown = await jonas.waitFor('CALL_INCOMING', 10_000);
    assert.match(shown.peeruri ?? '', /^sip:100@/, JSON.stringify(shown));
    assert.equal(shown.peerdisplayname, 'Karin Heiden');
    assert.equal((await jonas.command('accept')).ok, true);
    await jonas.waitFor('CALL_ESTABLISHED', 10_000);
    await p.waitForSelector('[data-testid=call][data-state=talking]');
    const closed = jonas.waitFor('CALL_CLOSED', 10_000);
    await p.click('[data-testid=call] button.danger');
    await closed;
    await desk.waitFor('CALL_CLOSED', 10_000);
  });
});
