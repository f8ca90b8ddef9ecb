import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import type { SipRequest } from '../../src/sip/message/index.js';
import { TestPhone } from '../support/test-phone.js';
import { runSipp } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** Client ports below this run's RTP range, so parallel runs do not collide (see the brief of the tests). */
const RTP_START = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]);
const CLIENT_BASE = RTP_START - 500;
const CARRIER_IP = '127.0.0.11';
const CARRIER_PORT = CLIENT_BASE + 10;
const DOMAIN = 'acme.zentrale.test';
const BETA = 'beta.zentrale.test';

/** acme: 100–104 and a trunk to the sipp carrier; 103 forwards after 5 s (provisioned); beta has no trunk. */
const FIXTURE = `tenants:
  - id: acme
    name: Acme GmbH
    domain: ${DOMAIN}
    workplaces:
      - extension: '100'
        name: Karin Heiden
        externalNumber: '+4930555100'
        devices: [{ username: '100', password: 'acme-Heiden-Pa55word' }]
      - extension: '101'
        name: Jonas Brandt
        devices: [{ username: '101', password: 'acme-Brandt-Pa55word' }]
      - extension: '102'
        name: Mia Vogel
        devices: [{ username: '102', password: 'acme-Vogel-Pa55word' }]
      - extension: '103'
        name: Lea Roth
        devices: [{ username: '103', password: 'acme-Roth-Pa55word' }]
        forwarding: { noAnswer: { target: '101', seconds: 5 } }
      - extension: '104'
        name: Tom Weber
        devices: [{ username: '104', password: 'acme-Weber-Pa55word' }]
    trunks:
      - id: carrier
        peer: ${CARRIER_IP}:${CARRIER_PORT}
        outboundPrefix: '0'
        numberFormat: e164
        countryCode: '49'
  - id: beta
    name: Beta AG
    domain: ${BETA}
    workplaces:
      - extension: '100'
        name: Eva Lorenz
        devices: [{ username: '100', password: 'beta-Lorenz-Pa55word' }]
      - extension: '300'
        name: Ben Kurz
`;

const PASSWORDS: Record<string, string> = {
  '100': 'acme-Heiden-Pa55word',
  '101': 'acme-Brandt-Pa55word',
  '102': 'acme-Vogel-Pa55word',
  '103': 'acme-Roth-Pa55word',
  '104': 'acme-Weber-Pa55word',
};

describe('call forwarding and do not disturb (TestPhone desk phones, sipp carrier and DND key)', () => {
  let t: TestServer;
  let dir: string;
  const phones: TestPhone[] = [];

  async function phone(user: string, o: { register?: boolean; domain?: string; password?: string } = {}) {
    const p = await TestPhone.open({
      user,
      password: o.password ?? PASSWORDS[user]!,
      domain: o.domain ?? DOMAIN,
      server: t.udp,
    });
    phones.push(p);
    if (o.register !== false) assert.equal((await p.register()).status, 200);
    return p;
  }

  /** Dials a code; on success the server answers, plays the confirmation and hangs up itself. */
  async function code(p: TestPhone, dial: string): Promise<{ status: number; reason: string }> {
    const r = await p.dial(dial);
    if (r.dialog) {
      for (let i = 0; i < 60 && r.dialog.state !== 'terminated'; i++) await sleep(50);
      assert.equal(r.dialog.state, 'terminated', `${dial}: hung up by the server after the confirmation`);
    }
    return { status: r.status, reason: r.reason };
  }

  const header = (r: SipRequest, name: string) => r.headers.get(name) ?? '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zentrale-fwd-'));
    const file = join(dir, 'forwarding.yaml');
    writeFileSync(file, FIXTURE);
    t = await startTestServer({ args: ['--provision', file] });
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const p of phones.splice(0)) await p.close();
    await assertBaseline(t, 8000);
  });

  it('always (*72 + extension): the call rings the target with Diversion and History-Info; *73 ends it', async () => {
    const [p100, p101, p102] = [await phone('100'), await phone('101'), await phone('102')];
    assert.deepEqual(await code(p100, '*72101'), { status: 200, reason: 'OK' });
    assert.deepEqual((await t.server.store.forwarding.get('acme', '100')).always, {
      enabled: true,
      target: { kind: 'extension', number: '101' },
    });
    const call = await p102.dial('100');
    assert.equal(call.status, 200);
    assert.equal(p100.invites.length, 0, 'the forwarding workplace does not ring');
    const [inv] = await p101.waitForInvites(1);
    assert.equal(header(inv!.request, 'Diversion'), `<sip:100@${DOMAIN}>;reason=unconditional;counter=1`);
    assert.equal(
      header(inv!.request, 'History-Info'),
      `<sip:100@${DOMAIN}>;index=1, <sip:101@${DOMAIN};cause=302>;index=1.1;mp=1`,
    );
    await call.dialog!.bye();
    assert.deepEqual(await code(p100, '*73'), { status: 200, reason: 'OK' });
    const again = await p102.dial('100');
    assert.equal(again.status, 200);
    assert.equal(p100.invites.length, 1, 'rings the workplace itself again');
    assert.equal(p101.invites.length, 1);
    await again.dialog!.bye();
  });

  it('busy (*90 + extension): a busy phone sends the call on with reason user-busy', async () => {
    const [p100, p101, p102] = [await phone('100'), await phone('101'), await phone('102')];
    p100.behaviour = { reject: 486 };
    assert.equal((await code(p100, '*90101')).status, 200);
    const call = await p102.dial('100');
    assert.equal(call.status, 200);
    assert.equal(p100.invites.length, 1);
    const [inv] = await p101.waitForInvites(1);
    assert.equal(header(inv!.request, 'Diversion'), `<sip:100@${DOMAIN}>;reason=user-busy;counter=1`);
    assert.match(header(inv!.request, 'History-Info'), /<sip:101@[^;]+;cause=486>;index=1\.1;mp=1/);
    await call.dialog!.bye();
    assert.equal((await code(p100, '*91')).status, 200);
  });

  it('no answer (provisioned 5 s, target set by *92): rings the workplace, then the target (reason no-answer)', async () => {
    const [p103, p102, p104] = [await phone('103'), await phone('102'), await phone('104')];
    p103.behaviour = 'ignore';
    assert.equal((await code(p103, '*92104')).status, 200, 'a new target, the provisioned seconds stay');
    const started = Date.now();
    const call = p102.place('103');
    await p103.waitForInvites(1);
    const [inv] = await p104.waitForInvites(1, 10_000);
    const waited = Date.now() - started;
    assert.ok(waited >= 4500 && waited < 9000, `forwarded after ${waited} ms`);
    assert.equal(header(inv!.request, 'Diversion'), `<sip:103@${DOMAIN}>;reason=no-answer;counter=1`);
    assert.match(header(inv!.request, 'History-Info'), /cause=408/);
    const r = await call.result;
    assert.equal(r.status, 200);
    await r.dialog!.bye();
    assert.equal((await code(p103, '*93')).status, 200);
  });

  it('not reachable (*94 + extension): nothing registered, the target rings at once (reason unavailable)', async () => {
    const p104 = await phone('104', { register: false });
    const [p101, p102] = [await phone('101'), await phone('102')];
    assert.equal((await code(p104, '*94101')).status, 200);
    const call = await p102.dial('104');
    assert.equal(call.status, 200);
    const [inv] = await p101.waitForInvites(1);
    assert.equal(header(inv!.request, 'Diversion'), `<sip:104@${DOMAIN}>;reason=unavailable;counter=1`);
    await call.dialog!.bye();
    assert.equal((await code(p104, '*95')).status, 200);
  });

  it('always to an outside number: the call leaves through the trunk with Diversion and History-Info', async () => {
    const [p100, p102] = [await phone('100'), await phone('102')];
    assert.equal((await code(p100, '*7200301234')).status, 200);
    const carrier = runSipp({
      scenario: 'trunk-carrier-uas.xml',
      target: t.udp,
      localIp: CARRIER_IP,
      localPort: CARRIER_PORT,
      timeoutS: 10,
      trace: true,
    });
    await sleep(300);
    const call = await p102.dial('100');
    assert.equal(call.status, 200);
    await sleep(200);
    await call.dialog!.bye();
    const c = await carrier;
    assert.equal(c.code, 0, c.stderr + c.messages);
    assert.match(
      c.messages,
      new RegExp(`^Diversion: <sip:100@${DOMAIN}>;reason=unconditional;counter=1\\r?$`, 'm'),
    );
    assert.match(
      c.messages,
      /^History-Info: <sip:100@[^>]+>;index=1, <sip:\+49301234@[^;]+;cause=302>;index=1\.1;mp=1\r?$/m,
    );
    assert.equal((await code(p100, '*73')).status, 200);
  });

  it('a loop A→B→A ends with one 482 to the caller and no INVITE storm', async () => {
    const [p100, p101, p102] = [await phone('100'), await phone('101'), await phone('102')];
    assert.equal((await code(p100, '*72101')).status, 200);
    assert.equal((await code(p101, '*72100')).status, 200);
    const r = await p102.dial('100');
    assert.deepEqual([r.status, r.reason], [482, 'Loop Detected']);
    assert.equal(p100.invites.length + p101.invites.length, 0);
    assert.equal((await code(p100, '*73')).status, 200);
    assert.equal((await code(p101, '*73')).status, 200);
  });

  it('do not disturb by *78: the key NOTIFYs DoNotDisturbEvent, calls get 486; the key switches it off again', async () => {
    const [p101, p102] = [await phone('101'), await phone('102')];
    const key = await p101.subscribe(`sip:101@${DOMAIN}`, {
      headers: [
        ['Event', 'as-feature-event'],
        ['Accept', 'application/x-as-feature-event+xml'],
      ],
    });
    const [full] = await p101.waitForNotifies(1);
    assert.match(full!.contentType, /^multipart\/mixed;boundary=/);
    assert.match(full!.body, /<DoNotDisturbEvent [^>]*>\r\n<device>101<\/device>\r\n<doNotDisturbOn>false</);
    assert.match(full!.body, /<forwardingType>forwardImmediate<\/forwardingType>\r\n<forwardStatus>false</);
    assert.equal((await code(p101, '*78')).status, 200);
    const [, change] = await p101.waitForNotifies(2);
    assert.equal(change!.contentType, 'application/x-as-feature-event+xml');
    assert.match(change!.body, /<DoNotDisturbEvent [^>]*>[\s\S]*<doNotDisturbOn>true</);
    const r = await p102.dial('101');
    assert.deepEqual([r.status, r.reason], [486, 'Do Not Disturb']);
    assert.equal(p101.invites.length, 0);
    // The phone's own key: SetDoNotDisturb in an in-dialog SUBSCRIBE.
    await key.refresh(600, {
      contentType: 'application/x-as-feature-event+xml',
      body:
        '<?xml version="1.0" encoding="UTF-8"?><SetDoNotDisturb xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3">' +
        '<device>101</device><doNotDisturbOn>false</doNotDisturbOn></SetDoNotDisturb>',
    });
    await p101.waitForNotifies(3);
    assert.ok(
      p101.notifies.some((n, i) => i >= 2 && /<doNotDisturbOn>false</.test(n.body)),
      'the key shows DND off',
    );
    assert.equal((await t.server.store.forwarding.get('acme', '101')).dnd, false);
    const ok = await p102.dial('101');
    assert.equal(ok.status, 200);
    await ok.dialog!.bye();
  });

  it('do not disturb with a busy forward: calls go to the busy target (reason do-not-disturb), nothing rings', async () => {
    const [p100, p101, p102] = [await phone('100'), await phone('101'), await phone('102')];
    assert.equal((await code(p100, '*90101')).status, 200);
    assert.equal((await code(p100, '*78')).status, 200);
    const call = await p102.dial('100');
    assert.equal(call.status, 200);
    assert.equal(p100.invites.length, 0, 'the workplace in DND does not ring');
    const [inv] = await p101.waitForInvites(1);
    assert.equal(header(inv!.request, 'Diversion'), `<sip:100@${DOMAIN}>;reason=do-not-disturb;counter=1`);
    assert.match(header(inv!.request, 'History-Info'), /<sip:101@[^;]+;cause=480>;index=1\.1;mp=1/);
    await call.dialog!.bye();
    assert.equal((await code(p100, '*79')).status, 200);
    assert.equal((await code(p100, '*91')).status, 200);
  });

  it('a sipp desk phone sets DND with its key (SetDoNotDisturb in the SUBSCRIBE): stored, calls get 486', async () => {
    const key = await runSipp({
      scenario: 'dnd-key.xml',
      target: t.udp,
      localPort: CLIENT_BASE + 11,
      keys: { user: '102', domain: DOMAIN },
      extra: ['-au', '102', '-ap', PASSWORDS['102']!],
      timeoutS: 10,
    });
    assert.equal(key.code, 0, key.stderr);
    assert.equal((await t.server.store.forwarding.get('acme', '102')).dnd, true);
    const p101 = await phone('101');
    const r = await p101.dial('102');
    assert.deepEqual([r.status, r.reason], [486, 'Do Not Disturb']);
    assert.equal((await code(await phone('102', { register: false }), '*79')).status, 200);
  });

  it('BLF: a workplace in do not disturb shows one confirmed dialog (busy) without call identifiers', async () => {
    const p101 = await phone('101');
    const p104 = await phone('104', { register: false });
    await p101.subscribe(`sip:104@${DOMAIN}`);
    const [idle] = await p101.waitForNotifies(1);
    assert.doesNotMatch(idle!.body, /<dialog /);
    // The code calls themselves show as 104's calls for a moment; what counts is the state once they are over.
    const settled = async (re: RegExp, want: boolean) => {
      for (let i = 0; i < 60 && re.test(p101.notifies.at(-1)!.body) !== want; i++) await sleep(50);
      return p101.notifies.at(-1)!.body;
    };
    assert.equal((await code(p104, '*78')).status, 200);
    const dnd = await settled(/<dialog id="dnd"/, true);
    assert.match(dnd, /<dialog id="dnd"[^>]*>[\s\S]*<state>confirmed<\/state>/);
    assert.doesNotMatch(dnd, /call-id=/);
    assert.equal((await code(p104, '*79')).status, 200);
    assert.doesNotMatch(await settled(/<dialog id="dnd"/, false), /<dialog id="dnd"/);
  });

  it('refuses every code’s target outside the dialler’s tenant; off codes touch only the dialler’s workplace', async () => {
    const beta = await phone('100', { domain: BETA, password: 'beta-Lorenz-Pa55word' });
    const acme100 = await phone('100');
    for (const c of ['*72', '*90', '*92', '*94'])
      assert.deepEqual(await code(beta, `${c}101`), { status: 404, reason: 'Forward Target Not Found' }, c);
    // beta has no trunk: no outside number either.
    assert.deepEqual(await code(beta, '*720301234'), { status: 403, reason: 'Forward Target Not Allowed' });
    assert.deepEqual(await code(acme100, '*72100'), { status: 403, reason: 'Cannot Forward To Itself' });
    assert.deepEqual(await code(beta, '*72300'), { status: 200, reason: 'OK' });
    for (const c of ['*73', '*91', '*93', '*95', '*78', '*79'])
      assert.equal((await code(beta, c)).status, 200, c);
    assert.equal((await t.server.store.forwarding.get('beta', '100')).always.enabled, false);
    const acme = await t.server.store.forwarding.get('acme', '100');
    assert.equal(acme.dnd, false);
    assert.equal(acme.always.enabled, false);
    assert.equal((await t.server.store.forwarding.get('acme', '101')).always.enabled, false);
  });

  it('a restart keeps the settings set by code (and re-provisioning the same file does not undo them)', async () => {
    const p101 = await phone('101');
    assert.equal((await code(p101, '*78')).status, 200);
    for (const p of phones.splice(0)) await p.close();
    await t.restart();
    const [q101, q102] = [await phone('101'), await phone('102')];
    const r = await q102.dial('101');
    assert.deepEqual([r.status, r.reason], [486, 'Do Not Disturb']);
    assert.equal((await code(q101, '*79')).status, 200);
  });
});
