import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWebApp, clientPort, launchChromium, loggedIn } from './support/portal-browser.js';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * MyPortal, the admin view and the wallboard in headless Chromium, each change checked on real SIP devices
 * (sipp). Screenshots for docs/portal.md and docs/admin.md are written by these tests.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/portal.yaml', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/img/', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const ADMIN = { domain: DOMAIN, extension: '100', password: 'web-Acme-Admin-Pa55' };
const AGENT = { domain: DOMAIN, extension: '101', password: 'web-Agent-One-Pa55' };
const BERTA = { domain: DOMAIN, extension: '103', password: 'web-Berta-Blf-Pa55' };
const OTHER = { domain: 'other.zentrale.test', extension: '100', password: 'web-Other-Admin-Pa55' };
const AGENT_PHONE = { user: 'agent-1', password: 'acme-Agent1-Pa55word', port: clientPort(1) };

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stderr}`);

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: `${DOCS}${name}.png`, fullPage: true });
}

/**
 * A GET with the page's own session token (from its localStorage), as the page's code would send it. Passed as a
 * string so the test runner's transpiler adds nothing the browser lacks.
 */
async function fetchIn(page: Page, url: string): Promise<{ status: number; body: string }> {
  return page.evaluate(`(async () => {
    const s = JSON.parse(localStorage.getItem('zentrale.session') || '{}');
    const r = await fetch(${JSON.stringify(url)}, { headers: { authorization: 'Bearer ' + s.token } });
    return { status: r.status, body: await r.text() };
  })()`);
}
const statusOf = async (page: Page, url: string) => (await fetchIn(page, url)).status;
const bodyOf = async (page: Page, url: string) => (await fetchIn(page, url)).body;

async function registerAgent(t: TestServer, expires = 300): Promise<void> {
  ok(
    await runSipp({
      scenario: expires === 0 ? 'unregister-all.xml' : 'register-auth.xml',
      target: t.udp,
      localPort: AGENT_PHONE.port,
      keys: { user: AGENT_PHONE.user, domain: DOMAIN, expires },
      extra: ['-au', AGENT_PHONE.user, '-ap', AGENT_PHONE.password],
    }),
    `${AGENT_PHONE.user} register ${expires}`,
  );
}

describe('MyPortal, admin view and wallboard in a browser, checked on sipp phones', () => {
  let t: TestServer;
  let browser: Browser;
  const pages: Page[] = [];
  const open = async (who: typeof ADMIN, path: string): Promise<Page> => {
    const p = await loggedIn(browser, t.server.httpPort, who, path);
    pages.push(p);
    return p;
  };
  before(async () => {
    await buildWebApp();
    t = await startTestServer({ args: ['--provision', FIXTURE] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.context().close();
    await assertBaseline(t, 8000);
  });

  it('tenant A never sees B, and a user reaches neither admin pages nor admin routes', async () => {
    const other = await open(OTHER, '/admin/workplaces');
    await other.waitForSelector('[data-ext="109"]');
    const listed = await other.$$eval('[data-ext]', (rows) => rows.map((r) => r.getAttribute('data-ext')));
    assert.deepEqual(listed, ['100', '109']);
    const user = await open(AGENT, '/admin/workplaces');
    await user.getByText('This page is for administrators.').waitFor();
    const nav = await user.$$eval('nav a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(!nav.some((h) => h?.startsWith('/admin')), `no admin links for a user: ${nav.join(' ')}`);
    const statuses = [
      await statusOf(user, '/api/v1/admin/workplaces'),
      await statusOf(user, '/api/v1/admin/calls/recent'),
    ];
    assert.deepEqual(statuses, [403, 403]);
    // Another tenant's admin token on acme's group: as if it did not exist.
    const cross = await statusOf(other, '/api/v1/wallboard/groups/600/today.csv');
    assert.equal(cross, 404);
  });

  it('a workplace created in the admin view (plan first) registers a sipp phone within a second', async () => {
    const admin = await open(ADMIN, '/admin/workplaces');
    await admin.getByRole('button', { name: 'New workplace' }).click();
    const form = admin.getByTestId('workplace-form');
    await form.locator('input[name=extension]').fill('120');
    await form.locator('input[name=name]').fill('Nora Neu');
    await form.locator('input[name=device-0-username]').fill('nora-desk');
    await form.locator('input[name=device-0-password]').fill('weak');
    await form.getByRole('button', { name: 'Check and save' }).click();
    // The weak password is refused at its field.
    await form.locator('.field-error[data-field="devices[0].password"]').waitFor();
    await shot(admin, 'admin-field-error');
    await form.locator('input[name=device-0-password]').fill('Nw-Phone-7731-Pa55');
    await form.getByRole('button', { name: 'Check and save' }).click();
    const plan = form.getByTestId('plan');
    await plan.waitFor();
    assert.match(
      await plan.innerText(),
      /\d+ changes:[\s\S]*create workplace 120[\s\S]*create device nora-desk/,
    );
    await shot(admin, 'admin-plan');
    await plan.getByRole('button', { name: 'Apply' }).click();
    await admin.locator('[data-ext="120"]').waitFor();
    const applied = Date.now();
    ok(
      await runSipp({
        scenario: 'register-auth.xml',
        target: t.udp,
        localPort: clientPort(2),
        keys: { user: 'nora-desk', domain: DOMAIN, expires: 300 },
        extra: ['-au', 'nora-desk', '-ap', 'Nw-Phone-7731-Pa55'],
      }),
      'nora-desk registers',
    );
    assert.ok(Date.now() - applied < 1000, `registered ${Date.now() - applied} ms after the save`);
    await admin.reload();
    await admin.locator('[data-ext="120"] .tag.on').waitFor();
    await shot(admin, 'admin-workplaces');
    ok(
      await runSipp({
        scenario: 'unregister-all.xml',
        target: t.udp,
        localPort: clientPort(2),
        keys: { user: 'nora-desk', domain: DOMAIN, expires: 0 },
        extra: ['-au', 'nora-desk', '-ap', 'Nw-Phone-7731-Pa55'],
      }),
      'nora-desk unregisters',
    );
  });

  it('the BLF list edited in MyPortal is the content of the phone’s next list subscription', async () => {
    const listOf = async (): Promise<string[]> => {
      const r = await runSipp({
        scenario: 'blf-list-once.xml',
        target: t.udp,
        localPort: clientPort(3),
        keys: { user: 'berta', domain: DOMAIN, target: `sip:103-blf@${DOMAIN}` },
        extra: ['-au', 'berta', '-ap', 'acme-Key3-Pa55word'],
        trace: true,
      });
      ok(r, 'berta subscribes to her list');
      const full = r.messages.split(/(?=NOTIFY sip:)/).find((m) => /fullState="true"/.test(m)) ?? '';
      const rlmi = full.slice(full.indexOf('<list'), full.indexOf('</list>'));
      return [...rlmi.matchAll(/<resource uri="sip:(\d+)@/g)].map((m) => m[1]!);
    };
    assert.deepEqual(await listOf(), ['101']);
    const berta = await open(BERTA, '/portal');
    const blf = berta.getByTestId('blf');
    await blf.locator('li[data-ext="101"]').waitFor();
    await blf.locator('input[name=blf-search]').fill('agent two');
    await blf.locator('button[data-add="102"]').click();
    // Drag 102 above 101.
    await blf.locator('li[data-ext="102"]').dragTo(blf.locator('li[data-ext="101"]'));
    assert.deepEqual(
      await blf.locator('li[data-ext]').evaluateAll((l) => l.map((x) => x.getAttribute('data-ext'))),
      ['102', '101'],
    );
    await blf.getByRole('button', { name: 'Save' }).click();
    await blf.getByRole('status').getByText('Saved.').waitFor();
    await shot(berta, 'portal');
    assert.deepEqual(await listOf(), ['102', '101']);
  });

  it('the wallboard shows a sipp caller waiting; the agent set Available in MyPortal gets them; counts match', async () => {
    await registerAgent(t);
    const wall = await open(ADMIN, '/wallboard');
    const board = wall.locator('[data-group="600"]');
    await board.waitFor();
    const figure = (f: string) => board.locator(`[data-figure="${f}"]`);
    assert.equal(await figure('answered').innerText(), '0');
    const agent = await open(AGENT, '/portal');
    const cc = agent.getByTestId('callcenter');
    await cc.locator('input[name="group-600"]').check();
    await cc.getByText(/— Active/).waitFor();
    const phone = runSipp({
      scenario: 'device-answer.xml',
      target: t.udp,
      localPort: AGENT_PHONE.port,
      keys: { user: AGENT_PHONE.user },
      timeoutS: 25,
    });
    const caller = runSipp({
      scenario: 'queue-caller-long.xml',
      target: t.udp,
      localPort: clientPort(4),
      keys: { user: '106', domain: DOMAIN, dial: '600' },
      extra: ['-au', '106', '-ap', 'acme-Caller6-Pa55word'],
      timeoutS: 25,
    });
    await board.locator('[data-waiting]').waitFor({ timeout: 5000 });
    assert.equal(await figure('waiting').innerText(), '1');
    await sleep(1200);
    await shot(wall, 'wallboard-waiting');
    await cc.locator('select[name=agent-status]').selectOption('available');
    await board.locator('[data-figure="answered"]', { hasText: '1' }).waitFor({ timeout: 8000 });
    assert.equal(await figure('waiting').innerText(), '0');
    assert.equal(await figure('abandoned').innerText(), '0');
    assert.match(await board.locator('[data-agent="101"]').innerText(), /Available · on a call/);
    await shot(wall, 'wallboard-answered');
    await wall.getByRole('checkbox', { name: 'Large type' }).check();
    await shot(wall, 'wallboard-large');
    ok(await caller, 'caller (queued, connected, hangs up)');
    ok(await phone, 'agent-1 (rings, answers, BYE)');
    // The API's figures match what the page shows.
    const snap = JSON.parse(await bodyOf(wall, '/api/v1/wallboard')) as {
      groups: Array<{ today: { answered: number; offered: number; abandoned: number } }>;
    };
    assert.deepEqual(
      [snap.groups[0]!.today.offered, snap.groups[0]!.today.answered, snap.groups[0]!.today.abandoned],
      [1, 1, 0],
    );
    // The call trace has the queue call with both legs.
    const trace = await open(ADMIN, '/admin/calls');
    await trace.locator('[data-call]').first().waitFor();
    await trace.locator('tr[data-call]', { hasText: '600' }).first().getByRole('link').click();
    const ladder = trace.getByTestId('ladder');
    await ladder.getByText('queued in group 600', { exact: false }).waitFor();
    const text = await ladder.innerText();
    assert.match(text, /INVITE sip:600@/);
    assert.match(text, /connected to agent 101/);
    assert.doesNotMatch(text, /Authorization|acme-Caller6/);
    await shot(trace, 'admin-call-trace');
    await registerAgent(t, 0);
    const c = await t.server.callCenter.tenant('acme');
    c.setStatus('101', 'signed-out');
  });

  it('admin disables "agents may log in and out": the MyPortal toggle is read-only and *52600 is refused', async () => {
    const admin = await open(ADMIN, '/admin/groups');
    await admin.locator('tr[data-group="600"]').getByRole('button', { name: 'Edit' }).click();
    const form = admin.getByTestId('group-form');
    await form.locator('input[name=allowAgentLogin]').uncheck();
    await form.getByRole('button', { name: 'Check and save' }).click();
    const plan = form.getByTestId('plan');
    assert.match(await plan.innerText(), /1 changes:[\s\S]*update .*600.*allowAgentLogin/);
    await plan.getByRole('button', { name: 'Apply' }).click();
    await admin.locator('tr[data-group="600"]', { hasText: 'set by the administrator' }).waitFor();
    const agent = await open(AGENT, '/portal');
    const toggle = agent.getByTestId('callcenter').locator('input[name="group-600"]');
    await toggle.waitFor();
    assert.equal(await toggle.isDisabled(), true);
    await shot(agent, 'portal-callcenter-locked');
    const r = await runSipp({
      scenario: 'device-call-403.xml',
      target: t.udp,
      localPort: AGENT_PHONE.port,
      keys: { user: AGENT_PHONE.user, domain: DOMAIN, dial: '*52600' },
      extra: ['-au', AGENT_PHONE.user, '-ap', AGENT_PHONE.password],
      trace: true,
    });
    ok(r, 'agent-1 dials *52600 and gets 403');
    assert.match(r.messages, /403 Login Not Allowed/);
  });
});
