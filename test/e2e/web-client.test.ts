import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BaresipPhone } from './support/baresip.js';
import { buildWebApp, DOCS, launchBrowser, login, newContext } from './support/browser.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_WEB_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';
import { runSipp } from './support/sipp.js';

/**
 * The desktop client in headless Chromium against a whole Zentrale with real phones (baresip, sipp): login,
 * live BLF lamps and the Pick up button, drag-and-drop blind transfer, the call-center status reaching a desk
 * phone's ACD key, the language switch, click-to-dial. Screenshots of the main windows go to docs/.
 */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const DEVICE_PASSWORDS: Record<string, string> = {
  '100': 'demo-Heiden-Pa55word',
  '101': 'demo-Brandt-Pa55word',
  '102': 'demo-Krueger-Pa55word',
};

describe('e2e: the browser desktop client', () => {
  let t: TestServer;
  let browser: Browser;
  let ctx: BrowserContext | undefined;
  const phones: BaresipPhone[] = [];

  /** A browser profile with the browser phone off: these tests drive the desk phones (web-softphone has the rest). */
  const context = async (): Promise<BrowserContext> => {
    const c = await newContext(browser, t.server.httpPort);
    await c.addInitScript({ content: `localStorage.setItem('zentrale.browserPhone', 'false');` });
    return c;
  };
  const page = async (ext = '100'): Promise<Page> => {
    ctx = await context();
    const p = await ctx.newPage();
    await login(p, { domain: DEMO_DOMAIN, extension: ext, password: DEMO_WEB_PASSWORDS[ext]! });
    return p;
  };
  const phone = async (user: string, n: number, answer: 'auto' | 'manual'): Promise<BaresipPhone> => {
    const p = new BaresipPhone({
      name: `web-${user}`,
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
  const shot = (p: Page, name: string) => p.screenshot({ path: join(DOCS, `client-${name}.png`) });

  before(async () => {
    await buildWebApp();
    t = await startTestServer();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    for (const p of phones.splice(0)) await p.stop();
    await assertBaseline(t, 8000);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('serves the app at /; log in, stay logged in across a reload, log out; a wrong password is refused', async () => {
    ctx = await context();
    const p = await ctx.newPage();
    await p.goto('/');
    await p.fill('input[name=domain]', DEMO_DOMAIN);
    await p.fill('input[name=extension]', '100');
    await p.fill('input[name=password]', 'wrong-password-1');
    await p.click('button[type=submit]');
    await p.waitForSelector('[role=alert]');
    assert.match((await p.textContent('[role=alert]')) ?? '', /Anmeldung fehlgeschlagen|Login failed/);
    await shot(p, 'login');

    await login(p, { domain: DEMO_DOMAIN, extension: '100', password: DEMO_WEB_PASSWORDS['100']! });
    assert.match((await p.textContent('[data-testid=who]')) ?? '', /Karin Heiden · 100/);
    // Admin sees the same client windows; the stream is open.
    await p.waitForFunction(() => document.querySelector('[data-testid=blf-entry]') !== null);
    assert.equal(t.server.counts()['apiStreams'], 1);

    await p.reload();
    await p.waitForSelector('[data-testid=who]');
    await p.goto('/history');
    await p.waitForSelector('[data-testid=history]');

    await p.click('button.logout');
    await p.waitForSelector('input[name=password]');
    // The token no longer works and the stream is closed.
    for (let i = 0; i < 50 && t.server.counts()['apiStreams'] !== 0; i++) await sleep(50);
    assert.equal(t.server.counts()['apiStreams'], 0);
    await p.reload();
    await p.waitForSelector('input[name=password]');
  });

  it('BLF: a real call makes the lamp ring; Pick up takes it to my desk phone; the lamps follow', async () => {
    const desk = await phone('100', 0, 'auto');
    const jonas = await phone('101', 1, 'manual');
    const sabine = await phone('102', 2, 'manual');
    const p = await page('100');
    const lamp = (ext: string) =>
      p.getAttribute(`[data-testid=blf-entry][data-extension="${ext}"]`, 'data-presence');
    await p.waitForSelector('[data-testid=blf-entry][data-extension="101"][data-presence=idle]');

    assert.equal((await sabine.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
    await jonas.waitFor('CALL_INCOMING');
    await p.waitForSelector('[data-testid=blf-entry][data-extension="101"][data-presence=ringing]');
    assert.equal(await lamp('102'), 'busy', 'the caller is busy');
    await shot(p, 'blf-ringing');

    const deskUp = desk.waitFor('CALL_ESTABLISHED', 10_000);
    const jonasStops = jonas.waitFor('CALL_CLOSED', 10_000);
    await p.click('[data-testid=blf-entry][data-extension="101"] [data-testid=blf-pickup]');
    await deskUp;
    await sabine.waitFor('CALL_ESTABLISHED', 10_000);
    await jonasStops;
    await p.waitForSelector('[data-testid=blf-entry][data-extension="101"][data-presence=idle]');
    await p.waitForSelector('[data-testid=call][data-state=talking]');
    assert.match((await p.textContent('[data-testid=call]')) ?? '', /Sabine Krüger/);

    const closed = sabine.waitFor('CALL_CLOSED', 10_000);
    await p.click('[data-testid=call] button.danger');
    await closed;
    await desk.waitFor('CALL_CLOSED', 10_000);
    await p.waitForSelector('[data-testid=blf-entry][data-extension="102"][data-presence=idle]');
  });

  it('drag the active call onto a contact → transfer dialog → Transfer: the caller is sent there (blind)', async () => {
    const desk = await phone('100', 0, 'auto');
    const jonas = await phone('101', 1, 'manual');
    const sabine = await phone('102', 2, 'manual');
    const p = await page('100');
    await p.waitForSelector('[data-testid=blf-entry][data-extension="101"]');

    // Karin calls Sabine from the browser through her desk phone (click-to-dial), Sabine answers.
    await p.check('[data-testid=desk-toggle]');
    await p.fill('input[name=dial]', '102');
    await p.press('input[name=dial]', 'Enter');
    await desk.waitFor('CALL_ESTABLISHED', 10_000);
    await sabine.waitFor('CALL_INCOMING', 10_000);
    assert.equal((await sabine.command('accept')).ok, true);
    await sabine.waitFor('CALL_ESTABLISHED', 10_000);
    await p.waitForSelector('[data-testid=call][data-state=talking]');
    await shot(p, 'calls');

    await p.dragAndDrop(
      '[data-testid=call][data-state=talking]',
      '[data-testid=blf-entry][data-extension="101"]',
    );
    await p.waitForSelector('[data-testid=transfer-dialog]');
    assert.match((await p.textContent('[data-testid=transfer-dialog]')) ?? '', /Jonas Brandt \(101\)/);
    await shot(p, 'transfer-dialog');
    const deskLeaves = desk.waitFor('CALL_CLOSED', 10_000);
    await p.click('[data-testid=transfer-confirm]');
    const incoming = await jonas.waitFor('CALL_INCOMING', 10_000);
    assert.match(incoming.peeruri ?? '', /102@/, 'Jonas is called by Sabine, not by Karin');
    assert.equal((await jonas.command('accept')).ok, true);
    await jonas.waitFor('CALL_ESTABLISHED', 10_000);
    await deskLeaves;
    await p.waitForSelector('[data-testid=blf-entry][data-extension="101"][data-presence=busy]');
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=call]').length === 0);

    const closed = jonas.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await sabine.command('hangup')).ok, true);
    await closed;
  });

  it('consultation transfer: hold, consult a colleague, Complete transfer connects the two', async () => {
    const desk = await phone('100', 0, 'auto');
    const jonas = await phone('101', 1, 'manual');
    const sabine = await phone('102', 2, 'manual');
    const p = await page('100');
    await p.check('[data-testid=desk-toggle]');
    await p.fill('input[name=dial]', '102');
    await p.press('input[name=dial]', 'Enter');
    await sabine.waitFor('CALL_INCOMING', 10_000);
    assert.equal((await sabine.command('accept')).ok, true);
    await sabine.waitFor('CALL_ESTABLISHED', 10_000);
    await p.waitForSelector('[data-testid=call][data-state=talking]');

    await p.click('[data-testid=call][data-state=talking] >> text=Rückfrage');
    await p.fill('dialog input[name=number]', '101');
    await p.press('dialog input[name=number]', 'Enter');
    await jonas.waitFor('CALL_INCOMING', 10_000);
    assert.equal((await jonas.command('accept')).ok, true);
    await jonas.waitFor('CALL_ESTABLISHED', 10_000);
    await p.waitForSelector('[data-testid=call][data-state=held]');
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=call]').length === 2);

    const deskLeaves = desk.waitFor('CALL_CLOSED', 10_000);
    await p.click('[data-testid=call][data-state=held] >> text=Verbinden');
    await deskLeaves;
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=call]').length === 0);
    // Sabine and Jonas now talk to each other: when one hangs up, the other's call ends.
    const jonasEnds = jonas.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await sabine.command('hangup')).ok, true);
    await jonasEnds;
  });

  it('an assistant sees "Call for <executive>" while it rings and during the call; group pickup takes a ringing call', async () => {
    const jonas = await phone('101', 1, 'manual');
    const sabine = await phone('102', 2, 'manual');
    const p = await page('102');
    assert.equal((await jonas.command('dial', `sip:100@${DEMO_DOMAIN}`)).ok, true);
    await sabine.waitFor('CALL_INCOMING', 10_000);
    await p.waitForSelector('[data-testid=call][data-state=ringing] [data-testid=call-for]');
    assert.match((await p.textContent('[data-testid=call-for]')) ?? '', /Anruf für Karin Heiden/);
    await shot(p, 'call-for');
    // Sabine answers on her phone; the client shows the conversation, still "for" Karin.
    assert.equal((await sabine.command('accept')).ok, true);
    await sabine.waitFor('CALL_ESTABLISHED', 10_000);
    await jonas.waitFor('CALL_ESTABLISHED', 10_000);
    await p.waitForSelector('[data-testid=call][data-state=talking] [data-testid=call-for]');
    let ended = sabine.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await jonas.command('hangup')).ok, true);
    await ended;
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=call]').length === 0);

    // Group pickup (pickup group Vertrieb: 100, 101, 102): Jonas rings, Sabine takes it from the client.
    const desk = await phone('100', 0, 'manual');
    assert.equal((await desk.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
    await jonas.waitFor('CALL_INCOMING', 10_000);
    await p.click('[data-testid=group-pickup]');
    // The PBX rings Sabine's phone with the auto-answer hint; this baresip answers by hand.
    await sabine.waitFor('CALL_INCOMING', 10_000);
    assert.equal((await sabine.command('accept')).ok, true);
    await sabine.waitFor('CALL_ESTABLISHED', 10_000);
    await desk.waitFor('CALL_ESTABLISHED', 10_000);
    ended = desk.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await sabine.command('hangup')).ok, true);
    await ended;
  });

  it('call center: the status set in the browser reaches the desk phone’s ACD key (as-feature-event)', async () => {
    const p = await page('100');
    await p.click('nav a[href="/callcenter"]');
    await p.waitForSelector('[data-testid=status-available]');
    const key = runSipp({
      scenario: 'acd-key.xml',
      target: t.udp,
      localPort: PORT_BASE + 300,
      keys: { user: '100', domain: DEMO_DOMAIN },
      extra: ['-au', '100', '-ap', DEVICE_PASSWORDS['100']!],
      timeoutS: 15,
    });
    // The key's SetAgentState "ready" makes Karin Available; the browser shows it live.
    await p.waitForSelector('[data-testid=status-available]:checked', { timeout: 10_000 });
    await sleep(300);
    await p.check('[data-testid=status-unavailable]');
    const r = await key;
    assert.equal(r.code, 0, `ACD key: ${r.stdout}${r.stderr}`);
    assert.ok(await p.isChecked('[data-testid=status-unavailable]'));
    // Group login where allowed: Active/Inactive.
    const active = '[data-testid=cc-group][data-group="600"] [data-testid=cc-group-active]';
    const was = await p.isChecked(active);
    await p.click(active);
    await p.waitForFunction(
      ([sel, want]) => (document.querySelector(sel as string) as HTMLInputElement | null)?.checked === want,
      [active, !was] as const,
    );
    await shot(p, 'callcenter');
    await p.check('[data-testid=status-signed-out]');
  });

  it('a call missed in the background: desktop notification and ring tone, then the missed-call badge and history', async () => {
    const jonas = await phone('101', 1, 'manual');
    const sabine = await phone('102', 2, 'manual');
    ctx = await context();
    // Record the notifications the page creates (the headless browser shows none).
    // A string, not a function: the test's transpiler would add helpers the page does not have.
    await ctx.addInitScript({
      content: `window.__notes = [];
        const Base = window.Notification;
        window.Notification = class extends Base {
          constructor(title, o) { super(title, o); window.__notes.push(title); }
        };`,
    });
    const p = await ctx.newPage();
    await login(p, { domain: DEMO_DOMAIN, extension: '101', password: DEMO_WEB_PASSWORDS['101']! });
    await p.waitForSelector('[data-testid=active-calls]');
    // The tab goes to the background.
    await p.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, value: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    assert.equal((await sabine.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
    await jonas.waitFor('CALL_INCOMING');
    await p.waitForSelector('[data-testid=call][data-state=ringing]');
    await p.waitForFunction(() => document.documentElement.dataset['ringtone'] === 'on');
    await p.waitForFunction(() => (window as unknown as { __notes: string[] }).__notes.length === 1);
    const notes = await p.evaluate(() => (window as unknown as { __notes: string[] }).__notes);
    assert.match(notes[0]!, /Anruf von Sabine Krüger \(102\)/);

    const gone = jonas.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await sabine.command('hangup')).ok, true);
    await gone;
    await p.waitForFunction(() => document.documentElement.dataset['ringtone'] === undefined);
    await p.waitForSelector('[data-testid=missed-badge]');
    assert.match((await p.textContent('[data-testid=missed-badge]')) ?? '', /1/);
    await p.click('nav a[href="/history"]');
    await p.click('[data-testid=history-missed]');
    await p.waitForSelector('[data-testid=history-item][data-missed=true]');
    assert.match((await p.textContent('[data-testid=history-item]')) ?? '', /Sabine Krüger/);
    assert.equal(await p.$('[data-testid=missed-badge]'), null, 'seen');
    await shot(p, 'history');
  });

  it('keyboard and narrow window: the contact menu opens from its button, arrows move, Escape closes', async () => {
    const p = await page('100');
    const menuButton = '[data-testid=blf-entry][data-extension="103"] [data-testid=blf-menu]';
    await p.waitForSelector(menuButton);
    await p.focus(menuButton);
    await p.keyboard.press('Enter');
    await p.waitForSelector('[role=menu]');
    assert.equal(await p.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'menu-call');
    await p.keyboard.press('ArrowDown');
    assert.equal(
      await p.evaluate(() => document.activeElement?.getAttribute('data-testid')),
      'menu-call-desk',
    );
    assert.equal(await p.getAttribute('[data-testid=menu-chat]', 'aria-disabled'), 'true');
    assert.equal(await p.getAttribute('[data-testid=menu-conference]', 'aria-disabled'), 'true');
    assert.equal(await p.getAttribute('[data-testid=menu-pickup]', 'aria-disabled'), 'true', 'nothing rings');
    assert.match((await p.textContent('[role=menu]')) ?? '', /noch nicht verfügbar/);
    await shot(p, 'blf-menu');
    await p.keyboard.press('Escape');
    await p.waitForSelector('[role=menu]', { state: 'detached' });
    // Focus goes back to the menu button; waited for, since the page may re-render around the close.
    await p
      .waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'blf-menu', null, {
        timeout: 3000,
      })
      .catch(async () => {
        const at = await p.evaluate(() => document.activeElement?.outerHTML.slice(0, 200) ?? 'nothing');
        assert.fail(`focus did not return to the menu button; it is on: ${at}`);
      });

    // "Show contact" opens the card with the e-mail address.
    await p.click(menuButton);
    await p.click('[data-testid=menu-contact]');
    await p.waitForSelector('[data-testid=contact-card]');
    assert.match(
      (await p.textContent('[data-testid=contact-card]')) ?? '',
      /matthias\.vogel@demo\.zentrale\.test/,
    );
    await p.keyboard.press('Escape');
    await p.waitForSelector('[data-testid=contact-card]', { state: 'detached' });

    // A narrow window: one column, nothing wider than the screen.
    await p.setViewportSize({ width: 380, height: 800 });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
    await shot(p, 'narrow');
  });

  it('German and English: the workplace language first, switchable, remembered', async () => {
    const p = await page('100');
    assert.equal(await p.textContent('nav a[href="/"]'), 'Gespräche');
    assert.equal(await p.getAttribute('html', 'lang'), 'de');
    await p.selectOption('[data-testid=lang]', 'en');
    await p.waitForFunction(() => document.querySelector('nav a[href="/"]')?.textContent === 'Calls');
    assert.equal(await p.getAttribute('html', 'lang'), 'en');
    await p.reload();
    await p.waitForSelector('[data-testid=who]');
    assert.equal(await p.textContent('nav a[href="/"]'), 'Calls');
    assert.match((await p.textContent('[data-testid=active-calls] h2')) ?? '', /Active conversations/);
    await p.selectOption('[data-testid=lang]', 'de');
    await p.waitForFunction(() => document.querySelector('nav a[href="/"]')?.textContent === 'Gespräche');
  });

  it('click-to-dial: "call from my desk phone" rings the sipp desk phone with auto-answer, then the callee', async () => {
    const port = PORT_BASE + 310;
    const reg = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: port,
      keys: { user: '100', domain: DEMO_DOMAIN, expires: 300 },
      extra: ['-au', '100', '-ap', DEVICE_PASSWORDS['100']!],
    });
    assert.equal(reg.code, 0, reg.stdout + reg.stderr);
    const jonas = await phone('101', 1, 'auto');
    try {
      const deskRun = runSipp({
        scenario: 'device-answer.xml',
        target: t.udp,
        localPort: port,
        keys: { user: '100' },
        timeoutS: 20,
        trace: true,
      });
      const p = await page('100');
      await p.check('[data-testid=desk-toggle]');
      await p.fill('input[name=dial]', 'Jonas');
      await p.waitForSelector('[data-testid=search-results] li');
      await p.press('input[name=dial]', 'Enter');
      await jonas.waitFor('CALL_ESTABLISHED', 10_000);
      await p.waitForSelector('[data-testid=call][data-state=talking]');
      // The choice is remembered.
      await p.reload();
      await p.waitForSelector('[data-testid=desk-toggle]');
      assert.equal(await p.isChecked('[data-testid=desk-toggle]'), true);
      await p.waitForSelector('[data-testid=call][data-state=talking]');
      await p.click('[data-testid=call] button.danger');
      const desk = await deskRun;
      assert.equal(desk.code, 0, desk.stdout + desk.stderr);
      assert.match(desk.messages, /Call-Info:[^\r\n]*answer-after=0/i);
      await jonas.waitFor('CALL_CLOSED', 10_000);
    } finally {
      await runSipp({
        scenario: 'unregister-all.xml',
        target: t.udp,
        localPort: port,
        keys: { user: '100', domain: DEMO_DOMAIN, expires: 0 },
        extra: ['-au', '100', '-ap', DEVICE_PASSWORDS['100']!],
      });
    }
  });
});
