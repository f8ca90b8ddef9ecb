import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildWebApp, clientPort, launchChromium, loggedIn } from './support/portal-browser.js';
import { nextEvent } from './support/events.js';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * The admin forms for pickup groups, anyone's BLF list, executives and trunks with DIDs in headless Chromium:
 * plan first, field errors at the field, the change seen by real SIP peers (sipp), a user refused, another
 * tenant blind to it. Screenshots for docs/admin.md.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/admin-forms.yaml', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/img/', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const ADMIN = { domain: DOMAIN, extension: '100', password: 'web-Acme-Admin-Pa55' };
const AGENT = { domain: DOMAIN, extension: '101', password: 'web-Agent-One-Pa55' };
const OTHER = { domain: 'other.zentrale.test', extension: '100', password: 'web-Other-Admin-Pa55' };
const BERTA = { user: 'berta', password: 'acme-Key3-Pa55word' };
const PICKER = { user: 'agent-1', password: 'acme-Agent1-Pa55word' };
const CALLER = { user: 'agent-2', password: 'acme-Agent2-Pa55word' };
// The carrier of the trunk created in the form: its own loopback address, a port of this run's range.
const CARRIER = { ip: '127.0.0.14', port: clientPort(10) };

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stdout}\n${r.stderr}`);

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: `${DOCS}${name}.png`, fullPage: true });
}

/** A request with the page's own session token, as the page's code would send it (a string: no transpiling). */
async function fetchIn(page: Page, method: string, url: string, body?: unknown): Promise<number> {
  return page.evaluate(`(async () => {
    const s = JSON.parse(localStorage.getItem('zentrale.session') || '{}');
    const body = ${JSON.stringify(body === undefined ? null : JSON.stringify(body))};
    const r = await fetch(${JSON.stringify(url)}, {
      method: ${JSON.stringify(method)},
      headers: body ? { authorization: 'Bearer ' + s.token, 'content-type': 'application/json' }
                    : { authorization: 'Bearer ' + s.token },
      body: body || undefined,
    });
    return r.status;
  })()`);
}

async function apiGet<T>(page: Page, url: string): Promise<T> {
  return page.evaluate(`(async () => {
    const s = JSON.parse(localStorage.getItem('zentrale.session') || '{}');
    const r = await fetch(${JSON.stringify(url)}, { headers: { authorization: 'Bearer ' + s.token } });
    return r.json();
  })()`);
}

/** Checks the form, expects the plan, applies it. */
async function planAndApply(form: ReturnType<Page['getByTestId']>, expect: RegExp): Promise<void> {
  await form.getByRole('button', { name: 'Check and save' }).click();
  const plan = form.getByTestId('plan');
  await plan.waitFor();
  assert.match(await plan.innerText(), expect);
  await plan.getByRole('button', { name: 'Apply' }).click();
  await form.waitFor({ state: 'detached' });
}

describe('admin forms in a browser: pickup groups, BLF lists, executives, trunks and DIDs', () => {
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

  it('a DID added to a trunk in the form routes a carrier call to the workplace (a bad target refused at its field)', async () => {
    const admin = await open(ADMIN, '/admin/trunks');
    await admin.getByRole('button', { name: 'New trunk' }).click();
    const form = admin.getByTestId('trunk-form');
    await form.locator('input[name=id]').fill('carrier');
    await form.locator('input[name=peer]').fill(`${CARRIER.ip}:${CARRIER.port}`);
    await form.locator('input[name=countryCode]').fill('49');
    await form.locator('button[name=dids-add]').click();
    await form.locator('input[name=did-0-number]').fill('+4930555103');
    await form.locator('input[name=did-0-extension]').fill('999');
    await form.getByRole('button', { name: 'Check and save' }).click();
    await form.locator('.field-error[data-field="dids[0].extension"]').waitFor();
    assert.equal(await admin.locator('[data-trunk]').count(), 0, 'nothing applied on error');
    await shot(admin, 'admin-trunk-form');
    await form.locator('input[name=did-0-extension]').fill('103');
    await planAndApply(form, /create trunk carrier/);
    await admin.locator('[data-trunk="carrier"]').getByText('+4930555103 → 103').waitFor();

    // Berta's desk phone registers and answers; the carrier calls the DID from the trunk's address.
    const deskPort = clientPort(11);
    ok(
      await runSipp({
        scenario: 'register-auth.xml',
        target: t.udp,
        localPort: deskPort,
        keys: { user: BERTA.user, domain: DOMAIN, expires: 300 },
        extra: ['-au', BERTA.user, '-ap', BERTA.password],
      }),
      'berta registers',
    );
    try {
      const desk = runSipp({
        scenario: 'device-answer.xml',
        target: t.udp,
        localPort: deskPort,
        keys: { user: BERTA.user },
        timeoutS: 10,
      });
      const carrier = await runSipp({
        scenario: 'trunk-carrier-uac.xml',
        target: t.udp,
        localIp: CARRIER.ip,
        localPort: CARRIER.port,
        keys: { did: '+4930555103' },
      });
      ok(carrier, 'the carrier reaches the DID');
      ok(await desk, "berta's desk answers");
      const [rec] = await t.server.store.callHistory.list('acme');
      assert.deepEqual([rec?.direction, rec?.outcome], ['inbound', 'completed']);
    } finally {
      ok(
        await runSipp({
          scenario: 'unregister-all.xml',
          target: t.udp,
          localPort: deskPort,
          keys: { user: BERTA.user, domain: DOMAIN, expires: 0 },
          extra: ['-au', BERTA.user, '-ap', BERTA.password],
        }),
        'berta unregisters',
      );
    }
  });

  it('the trunk password is write-only: "set new password" plans a secret change, the page never holds it', async () => {
    const admin = await open(ADMIN, '/admin/trunks');
    await admin.locator('[data-trunk="carrier"]').getByRole('button', { name: 'Edit' }).click();
    const form = admin.getByTestId('trunk-form');
    await form.locator('input[name=registers]').check();
    await form.locator('input[name="register.username"]').fill('acme-reg');
    await form.getByRole('button', { name: 'Check and save' }).click();
    // A new registration needs a password: refused at that field.
    await form.locator('.field-error[data-field="register.password"]').waitFor();
    await form.locator('input[name="register.password"]').fill('Carrier-Secret-4711');
    await form.getByRole('button', { name: 'Check and save' }).click();
    const plan = form.getByTestId('plan');
    await plan.waitFor();
    assert.match(await plan.innerText(), /update trunk carrier \(.*password/);
    assert.doesNotMatch(await plan.innerText(), /Carrier-Secret-4711/);
    // Not applied here: a registration would start at once towards a carrier this test does not run.
    await plan.getByRole('button', { name: 'Cancel' }).click();
    await form.getByRole('button', { name: 'Cancel' }).click();
    const trunks = JSON.stringify(await apiGet(admin, '/api/v1/admin/trunks'));
    assert.doesNotMatch(trunks, /password"/);
    assert.doesNotMatch(await admin.content(), /Carrier-Secret-4711/);
  });

  it("an admin edits another workplace's BLF list and that workplace's phone subscription follows", async () => {
    const listOf = async (): Promise<string[]> => {
      const r = await runSipp({
        scenario: 'blf-list-once.xml',
        target: t.udp,
        localPort: clientPort(12),
        keys: { user: BERTA.user, domain: DOMAIN, target: `sip:103-blf@${DOMAIN}` },
        extra: ['-au', BERTA.user, '-ap', BERTA.password],
        trace: true,
      });
      ok(r, 'berta subscribes to her list');
      const full = r.messages.split(/(?=NOTIFY sip:)/).find((m) => /fullState="true"/.test(m)) ?? '';
      const rlmi = full.slice(full.indexOf('<list'), full.indexOf('</list>'));
      return [...rlmi.matchAll(/<resource uri="sip:(\d+)@/g)].map((m) => m[1]!);
    };
    assert.deepEqual(await listOf(), ['101']);
    const admin = await open(ADMIN, '/admin/blf');
    await admin.locator('[data-ext="103"]').getByRole('button', { name: 'Edit' }).click();
    const form = admin.getByTestId('blf-form');
    await form.locator('input[name=blf-add]').fill('102');
    await form.locator('button[name=blf-add-button]').click();
    await form.getByRole('button', { name: 'Move 102 up' }).click();
    await shot(admin, 'admin-blf-form');
    await planAndApply(form, /update workplace 103 \(blf\)/);
    await admin.locator('[data-ext="103"] [data-testid=blf-of]').getByText('102, 101').waitFor();
    assert.deepEqual(await listOf(), ['102', '101']);
  });

  it('a pickup group and an executive with an assistant are created in their forms, errors at the field', async () => {
    const admin = await open(ADMIN, '/admin/pickup');
    await admin.getByRole('button', { name: 'New pickup group' }).click();
    const pickup = admin.getByTestId('pickup-form');
    await pickup.locator('input[name="groups[0].name"]').fill('Desk');
    await pickup.locator('input[name="groups[0].members"]').fill('101, 777');
    await pickup.getByRole('button', { name: 'Check and save' }).click();
    await pickup.locator('.field-error[data-field^="groups[0].members"]').waitFor();
    await pickup.locator('input[name="groups[0].members"]').fill('101, 103');
    await planAndApply(pickup, /1 changes:[\s\S]*pickup/);
    await admin.locator('[data-pickup="Desk"]').getByText('101, 103').waitFor();
    await shot(admin, 'admin-pickup');
    const settings = await apiGet<{ groups: unknown }>(admin, '/api/v1/admin/pickup-groups');
    assert.deepEqual(settings.groups, [{ name: 'Desk', members: ['101', '103'] }]);

    await admin.goto(`http://127.0.0.1:${t.server.httpPort}/admin/executives`);
    await admin.getByRole('button', { name: 'New executive' }).click();
    const exec = admin.getByTestId('executive-form');
    await exec.locator('input[name=executive]').fill('101');
    await exec.locator('input[name=assistant-0]').fill('103');
    await exec.locator('select[name=filtering]').selectOption('external');
    await exec.getByRole('button', { name: 'Check and save' }).click();
    // 103 lacks the assistant package: refused at the assistant.
    await exec.locator('.field-error[data-field^="assistants[0]"]').waitFor();
    await exec.locator('input[name=assistant-0]').fill('102');
    await shot(admin, 'admin-executive-form');
    await planAndApply(exec, /create executive 101/);
    await admin.locator('[data-executive="101"]').getByText('external').waitFor();
    // The executive sees it in its own (user) view.
    const agent = await open(AGENT, '/portal');
    const mine = await apiGet<{ filtering: string; assistants: Array<{ extension: string }> }>(
      agent,
      '/api/v1/executives/101',
    );
    assert.deepEqual([mine.filtering, mine.assistants.map((a) => a.extension)], ['external', ['102']]);
  });

  it('the pickup group made in the form lets a member pick up with *98 (sipp phones)', async () => {
    const deskPort = clientPort(11);
    const register = (expires: number) =>
      runSipp({
        scenario: expires === 0 ? 'unregister-all.xml' : 'register-auth.xml',
        target: t.udp,
        localPort: deskPort,
        keys: { user: BERTA.user, domain: DOMAIN, expires },
        extra: ['-au', BERTA.user, '-ap', BERTA.password],
      });
    ok(await register(300), 'berta registers');
    try {
      // Berta's desk rings until the call is taken elsewhere; 102 calls 103 and waits for the far end's BYE.
      const desk = runSipp({
        scenario: 'device-cancelled-elsewhere.xml',
        target: t.udp,
        localPort: deskPort,
        keys: { user: BERTA.user },
        timeoutS: 20,
      });
      const ringing = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '103');
      const caller = runSipp({
        scenario: 'device-call-silent.xml',
        target: t.udp,
        localPort: clientPort(13),
        keys: { user: CALLER.user, domain: DOMAIN, dial: '103' },
        extra: ['-au', CALLER.user, '-ap', CALLER.password],
        timeoutS: 25,
      });
      await ringing;
      const picked = nextEvent(t, 'call.picked-up');
      const picker = await runSipp({
        scenario: 'device-call.xml',
        target: t.udp,
        localPort: clientPort(14),
        keys: { user: PICKER.user, domain: DOMAIN, dial: '*98' },
        extra: ['-au', PICKER.user, '-ap', PICKER.password],
      });
      ok(picker, '101 picks up with *98');
      const p = await picked;
      assert.deepEqual([p.kind, p.from.workplace, p.by.workplace], ['group', '103', '101']);
      ok(await desk, "berta's desk stops ringing");
      ok(await caller, 'the caller was connected to the picker');
    } finally {
      ok(await register(0), 'berta unregisters');
    }
  });

  it('a user reaches neither these pages nor their routes; another tenant sees none of it', async () => {
    const user = await open(AGENT, '/admin/trunks');
    await user.getByText('This page is for administrators.').waitFor();
    const refused: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/admin/trunks'],
      ['PUT', '/api/v1/admin/trunks/carrier', { peer: '127.0.0.1:5060' }],
      ['DELETE', '/api/v1/admin/trunks/carrier'],
      ['GET', '/api/v1/admin/executives'],
      ['DELETE', '/api/v1/admin/executives/101'],
      ['GET', '/api/v1/admin/pickup-groups'],
      ['PUT', '/api/v1/admin/pickup-groups', { groups: [] }],
      ['PUT', '/api/v1/admin/workplaces/103/blf', { extensions: [] }],
    ];
    for (const [m, p, b] of refused) assert.equal(await fetchIn(user, m, p, b), 403, `${m} ${p}`);

    const other = await open(OTHER, '/admin/trunks');
    await other.getByRole('button', { name: 'New trunk' }).waitFor();
    assert.equal(await other.locator('[data-trunk]').count(), 0);
    assert.deepEqual(await apiGet(other, '/api/v1/admin/executives'), []);
    assert.deepEqual(await apiGet(other, '/api/v1/admin/pickup-groups'), { order: 'newest', groups: [] });
    assert.equal(await fetchIn(other, 'DELETE', '/api/v1/admin/trunks/carrier'), 404);
    assert.equal(await fetchIn(other, 'DELETE', '/api/v1/admin/executives/101'), 404);
    assert.equal(await fetchIn(other, 'PUT', '/api/v1/admin/workplaces/103/blf', { extensions: [] }), 404);
    // Acme's settings are untouched.
    const admin = await open(ADMIN, '/admin/trunks');
    await admin.locator('[data-trunk="carrier"]').waitFor();
  });
});
