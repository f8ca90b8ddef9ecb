import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/trunks.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const CARRIER_IP = '127.0.0.7';
const CARRIER_PORT = 25670;
const DEVICE_PORT = 25680;

/** Registers acme/100 from DEVICE_PORT (so its contact is known) and starts a sipp that answers one call there. */
async function deviceReady(t: TestServer, user = '100', password = 'acme-Heiden-Pa55word') {
  const reg = await runSipp({
    scenario: 'register-auth.xml',
    target: t.udp,
    localPort: DEVICE_PORT,
    keys: { user, domain: DOMAIN, expires: 300 },
    extra: ['-au', user, '-ap', password],
  });
  assert.equal(reg.code, 0, reg.stdout + reg.stderr);
  return runSipp({
    scenario: 'device-answer.xml',
    target: t.udp,
    localPort: DEVICE_PORT,
    keys: { user },
    timeoutS: 10,
  });
}

describe('SIP trunks with a sipp carrier', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE] });
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
  });

  it('an inbound call from the carrier to a DID reaches the workplace the DID names', async () => {
    const device = deviceReady(t);
    await sleep(300);
    const carrier = await runSipp({
      scenario: 'trunk-carrier-uac.xml',
      target: t.udp,
      localIp: CARRIER_IP,
      localPort: CARRIER_PORT,
      keys: { did: '+4930555100' },
    });
    assert.equal(carrier.code, 0, carrier.stdout + carrier.stderr);
    const d = await device;
    assert.equal(d.code, 0, d.stdout + d.stderr);
    const [rec] = await t.server.store.callHistory.list('acme');
    assert.equal(rec?.direction, 'inbound');
    assert.equal(rec?.callerNumber, '+493012345678');
    assert.equal(rec?.outcome, 'completed');
  });

  it("an outbound call leaves through the trunk in E.164, presenting the workplace's external number", async () => {
    const carrier = runSipp({
      scenario: 'trunk-carrier-uas.xml',
      target: t.udp,
      localIp: CARRIER_IP,
      localPort: CARRIER_PORT,
      timeoutS: 10,
      trace: true,
    });
    await sleep(300);
    const caller = await runSipp({
      scenario: 'device-call.xml',
      target: t.udp,
      keys: { user: '100', domain: DOMAIN, dial: '00301234' },
      extra: ['-au', '100', '-ap', 'acme-Heiden-Pa55word'],
    });
    const c = await carrier;
    assert.equal(caller.code, 0, `${caller.stderr}\ncarrier saw:\n${c.messages}${c.stderr}`);
    assert.equal(c.code, 0, c.stdout + c.stderr);
  });

  it('an unauthenticated INVITE from an address that is no trunk is challenged, not routed', async () => {
    const stranger = await runSipp({
      scenario: 'trunk-carrier-uac.xml',
      target: t.udp,
      localIp: '127.0.0.8',
      keys: { did: '+4930555100' },
      timeoutS: 4,
      trace: true,
    });
    assert.notEqual(stranger.code, 0);
    assert.match(stranger.messages, /SIP\/2\.0 407 /);
    assert.equal(t.server.counts().calls, 0);
  });

  it("a DID of the tenant is not reachable by another tenant's workplace dialling the extension", async () => {
    // other/100 dials 100: its own tenant's extension, i.e. itself, never acme's 100.
    const r = await runSipp({
      scenario: 'device-call.xml',
      target: t.udp,
      keys: { user: '100', domain: 'other.zentrale.test', dial: '101' },
      extra: ['-au', '100', '-ap', 'other-Lorenz-Pa55word'],
      timeoutS: 4,
      trace: true,
    });
    assert.notEqual(r.code, 0);
    assert.match(r.messages, /SIP\/2\.0 404 /);
  });
});

describe('a carrier that challenges outbound INVITEs', () => {
  it("answers the carrier's challenge with the trunk's account (same Call-ID, CSeq + 1) and the call goes through", async () => {
    // The carrier listens before the server starts, since the trunk registers at once.
    const carrier = runSipp({
      scenario: 'trunk-carrier-auth-uas.xml',
      target: '127.0.0.1:5060',
      localIp: '127.0.0.9',
      localPort: 25672,
      calls: 2,
      timeoutS: 10,
      trace: true,
    });
    await sleep(300);
    const t = await startTestServer({
      args: ['--provision', fileURLToPath(new URL('./fixtures/trunks-auth.yaml', import.meta.url))],
    });
    try {
      await sleep(300);
      // The baseline is taken once the trunk's REGISTER transaction has finished (it was in flight at start).
      t.baseline = t.server.counts();
      const caller = await runSipp({
        scenario: 'device-call.xml',
        target: t.udp,
        keys: { user: '100', domain: DOMAIN, dial: '00301234' },
        extra: ['-au', '100', '-ap', 'acme-Heiden-Pa55word'],
      });
      const c = await carrier;
      assert.equal(caller.code, 0, `${caller.stderr}\ncarrier saw:\n${c.messages}${c.stderr}`);
      assert.equal(c.code, 0, c.stdout + c.stderr + c.messages);
      // Two INVITEs of one Call-ID: the challenged one (CSeq n) and the answer (CSeq n+1, Authorization).
      // Counted once per CSeq: with the tests' short T1 a loaded machine may retransmit one.
      const invites = [
        ...new Set(
          [...c.messages.matchAll(/^INVITE [\s\S]*?^CSeq: *(\d+) INVITE/gm)].map((m) => Number(m[1])),
        ),
      ];
      assert.equal(invites.length, 2, c.messages);
      assert.equal(invites[1], invites[0]! + 1);
      // The digest, computed here independently (RFC 7616 section 3.4.1, MD5, qop=auth).
      const auth = /^Authorization: Digest ([^\r\n]*)/m.exec(c.messages)?.[1] ?? '';
      const p = Object.fromEntries(
        [...auth.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]),
      );
      const md5 = (s: string) => createHash('md5').update(s).digest('hex');
      const ha1 = md5(`4930555:carrier.test:carrier-Secret-2026`);
      const ha2 = md5(`INVITE:${p.uri}`);
      assert.equal(p.username, '4930555');
      assert.equal(p.uri, 'sip:+49301234@127.0.0.9:25672');
      assert.equal(p.response, md5(`${ha1}:4f1a9c2e7d3b5a60:${p.nc}:${p.cnonce}:auth:${ha2}`));
      await assertBaseline(t, 8000);
    } finally {
      await t.stop();
    }
  });
});
