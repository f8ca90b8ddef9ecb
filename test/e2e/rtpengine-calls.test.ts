import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NgClient, type NgDict } from '../../src/media/index.js';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { heardShare } from './support/heard.js';
import { startRtpengine, type TestRtpengine } from './support/rtpengine.js';
import { runSipp } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * The basic call cases between real phones (baresip) once per media backend (docs/media.md): the in-process relay,
 * and an rtpengine this test starts itself (userspace, loopback). With rtpengine, rtpengine's own view proves the
 * anchoring: each phone sends to rtpengine (the only address it can know is the one our SDP named), the legs of a
 * plain two-party call point at each other past the relay, a held call runs through the relay (music on hold),
 * and no rtpengine call is left after the hangup. Phone ports lie 500 below the server's RTP range
 * (ZENTRALE_TEST_RTP_PORTS), rtpengine's above them (support/rtpengine.ts), so parallel runs do not meet.
 */
const RTP = (process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-').map(Number) as [number, number];
const BASE = RTP[0] - 500;
const TONES = { a: 1000, b: 440, c: 700 } as const;
const DOMAIN = 'acme.zentrale.test';
const PASSWORDS = {
  '100': 'acme-Heiden-Pa55word',
  '101': 'acme-Brandt-Pa55word',
  '102': 'acme-Krueger-Pa55word',
  '103': 'acme-Vogel-Pa55word',
};
/** A carrier (sipp echoing RTP) on its own loopback address, its ports from this run's block. */
const CARRIER = { ip: '127.0.0.13', port: BASE + 150, media: BASE + 160 };

/** Three workplaces and a trunk to the carrier; the carrier's port comes from this run's range. */
function fixture(dir: string): string {
  const file = join(dir, 'rtpengine-calls.yaml');
  const workplace = (ext: keyof typeof PASSWORDS, name: string, external = '') =>
    `      - extension: '${ext}'\n        name: ${name}\n${external}        devices:\n` +
    `          - { username: '${ext}', password: '${PASSWORDS[ext]}' }\n`;
  writeFileSync(
    file,
    `tenants:\n  - id: acme\n    name: Acme GmbH\n    domain: ${DOMAIN}\n    workplaces:\n` +
      workplace('100', 'Karin Heiden', "        externalNumber: '+4930555100'\n") +
      workplace('101', 'Jonas Brandt') +
      workplace('102', 'Lena Krueger') +
      workplace('103', 'Tom Vogel') +
      `    trunks:\n      - id: carrier\n        peer: ${CARRIER.ip}:${CARRIER.port}\n` +
      `        outboundPrefix: '0'\n        numberFormat: e164\n        countryCode: '49'\n` +
      `        defaultCallerId: '+4930555000'\n`,
  );
  return file;
}

/** Where a port belongs: a phone or the carrier (the run's client block), rtpengine's range, or the relay's. */
function owner(port: number): 'phone' | 'rtpengine' | 'relay' | 'other' {
  if (port >= BASE && port < BASE + 200) return 'phone';
  if (port >= BASE + 250 && port <= BASE + 499) return 'rtpengine';
  if (port >= RTP[0] && port <= RTP[1]) return 'relay';
  return 'other';
}

interface PartyView {
  /** The port rtpengine sends this party's media to (its peer's address). */
  endpoint: number;
  packets: number;
}

const dict = (v: unknown): NgDict | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as NgDict) : undefined;

/** One party of an rtpengine call (query reply): where rtpengine sends to it, and what it received from it. */
function party(reply: NgDict, tag: string): PartyView | undefined {
  const t = dict(dict(reply.tags)?.[tag]);
  const media = Array.isArray(t?.medias) ? dict(t.medias[0]) : undefined;
  const stream = Array.isArray(media?.streams) ? dict(media.streams[0]) : undefined;
  const endpoint = dict(stream?.endpoint);
  if (!stream || !endpoint) return undefined;
  return { endpoint: Number(endpoint.port), packets: Number(dict(stream.stats)?.packets ?? 0) };
}

/** Some second of the recording is loud and not the tone `hz`: music on hold instead of the other party. */
function music(rec: { rate: number; samples: Int16Array } | undefined, hz: number): boolean {
  assert.ok(rec, 'a recording');
  for (let s = 0; s + rec.rate <= rec.samples.length; s += rec.rate / 4) {
    const w = rec.samples.subarray(s, s + rec.rate);
    const rms = Math.sqrt(w.reduce((acc, v) => acc + v * v, 0) / w.length);
    if (rms > 300 && toneRatio(w, rec.rate, hz) < 0.1) return true;
  }
  return false;
}

for (const backend of ['relay', 'rtpengine'] as const)
  describe(`two-party calls between phones, media backend ${backend}`, { timeout: 180_000 }, () => {
    let rtpe: TestRtpengine | undefined;
    let ng: NgClient | undefined;
    let t: TestServer;
    let a: BaresipPhone;
    let b: BaresipPhone;
    let c: BaresipPhone;
    let dir: string;

    const phone = (name: string, user: string, password: string, n: number, toneHz: number) =>
      new BaresipPhone({
        name,
        user,
        password,
        domain: DOMAIN,
        proxy: t.udp,
        basePort: BASE + n,
        toneHz,
      });

    /** rtpengine's calls now, each as its query reply. */
    async function rtpengineCalls(): Promise<NgDict[]> {
      const list = await ng!.request('list', {});
      const ids = Array.isArray(list.calls) ? list.calls.map(String) : [];
      return Promise.all(ids.map((id) => ng!.query({ 'call-id': id })));
    }

    /**
     * With rtpengine: one rtpengine call per leg; every phone sends to rtpengine; the legs' `pbx` sides point
     * at each other (`direct`) or at the relay.
     */
    async function assertAnchored(phones: number, pbx: 'rtpengine' | 'relay'): Promise<void> {
      if (!ng) return;
      const calls = await rtpengineCalls();
      assert.equal(calls.length, phones, `one rtpengine call per leg: ${calls.length}`);
      for (const q of calls) {
        const ph = party(q, 'phone');
        const px = party(q, 'pbx');
        assert.ok(ph && px, `both parties in ${JSON.stringify(q).slice(0, 300)}`);
        assert.equal(owner(ph.endpoint), 'phone', `the phone party is a phone (${ph.endpoint})`);
        assert.ok(ph.packets > 20, `the phone sent its RTP to rtpengine's port (${ph.packets} packets)`);
        assert.equal(owner(px.endpoint), pbx, `the pbx side points at the ${pbx} (${px.endpoint})`);
      }
      if (pbx !== 'rtpengine') return;
      // Direct: media flows now both ways through each leg's rtpengine call (50 packets/s per direction).
      const count = (qs: NgDict[]) =>
        new Map(qs.map((q) => [String(q['call-id'] ?? ''), [party(q, 'phone')!, party(q, 'pbx')!]] as const));
      const before = count(calls);
      await sleep(1000);
      for (const [id, [ph, px]] of count(await rtpengineCalls())) {
        const [ph0, px0] = before.get(id) ?? [];
        assert.ok(ph.packets - (ph0?.packets ?? 0) > 20, `${id}: packets from the phone keep coming`);
        assert.ok(px.packets - (px0?.packets ?? 0) > 20, `${id}: packets toward the phone keep coming`);
      }
    }

    async function call(from: BaresipPhone, to: BaresipPhone, number: string): Promise<void> {
      const incoming = to.waitFor('CALL_INCOMING');
      assert.equal((await from.command('dial', `sip:${number}@${DOMAIN}`)).ok, true);
      await incoming;
      const est = from.waitFor('CALL_ESTABLISHED');
      await to.command('accept');
      await est;
    }

    async function hangup(by: BaresipPhone, other: BaresipPhone): Promise<void> {
      const closed = other.waitFor('CALL_CLOSED');
      await by.command('hangup');
      await closed;
      await sleep(300);
    }

    before(async () => {
      if (backend === 'rtpengine') {
        rtpe = await startRtpengine();
        ng = new NgClient({ host: '127.0.0.1', port: rtpe.ngPort });
      }
      dir = mkdtempSync(join(tmpdir(), 'zentrale-rtpengine-calls-'));
      const args = ['--provision', fixture(dir), ...(rtpe ? ['--media', rtpe.media] : [])];
      t = await startTestServer({ args });
      a = phone('a', '100', PASSWORDS['100'], 0, TONES.a);
      b = phone('b', '101', PASSWORDS['101'], 40, TONES.b);
      c = phone('c', '102', PASSWORDS['102'], 80, TONES.c);
      await Promise.all([a.start(), b.start(), c.start()]);
      await Promise.all([a.waitRegistered(), b.waitRegistered(), c.waitRegistered()]);
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
      await t?.stop();
      await ng?.close();
      await rtpe?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      for (const p of [a, b, c]) {
        p.clearEvents();
        p.clearRecordings();
      }
    });
    afterEach(async () => {
      // A test that failed mid-call leaves no call behind for the next one.
      for (const p of [a, b, c]) await p.command('hangup');
      await assertBaseline(t, 8000);
      // Every rtpengine call deleted explicitly (rtpengine's own timeout is far longer than this wait).
      if (ng) assert.deepEqual((await ng.request('list', {})).calls, [], 'no rtpengine call left');
      // sndfile names recordings by the second: keep calls at least a second apart.
      await sleep(1000);
    });

    it('A calls B: audio both ways, anchored where the backend says; hangup frees everything', async () => {
      await call(a, b, '101');
      await sleep(2500);
      await assertAnchored(2, 'rtpengine');
      await hangup(a, b);
      assert.ok(heardShare(b.lastRecording(), TONES.a, 'B') > 0.5, 'B hears A');
      assert.ok(heardShare(a.lastRecording(), TONES.b, 'A') > 0.5, 'A hears B');
      assert.equal((await t.server.store.callHistory.list('acme'))[0]?.outcome, 'completed');
    });

    it('A holds B (music through the relay) and resumes: both hear each other again', async () => {
      await call(a, b, '101');
      await sleep(1200);
      assert.equal((await a.command('hold')).ok, true);
      await sleep(2500);
      // Music on hold comes from this process: both legs run through the relay meanwhile.
      await assertAnchored(2, 'relay');
      assert.equal((await a.command('resume')).ok, true);
      await sleep(3500);
      await assertAnchored(2, 'rtpengine');
      await hangup(b, a);
      const rec = b.lastRecording();
      assert.ok(music(rec, TONES.a), 'during the hold B hears music, not A');
      assert.ok(heardShare(rec, TONES.a, 'B after resume', 2) > 0.5, 'B hears A again');
      // (baresip 1.0 stops recording what the holding phone hears at its hold, on either backend: with rtpengine
      // the counters above show the media toward A flowing again.)
    });

    it('B transfers A blind to C: A and C talk, B is released', async () => {
      await call(a, b, '101');
      await sleep(1200);
      const cIncoming = c.waitFor('CALL_INCOMING');
      const bClosed = b.waitFor('CALL_CLOSED');
      assert.equal((await b.command('transfer', `sip:102@${DOMAIN}`)).ok, true);
      await cIncoming;
      const cEst = c.waitFor('CALL_ESTABLISHED');
      await c.command('accept');
      await cEst;
      await bClosed;
      await sleep(2500);
      await assertAnchored(2, 'rtpengine');
      await hangup(c, a);
      assert.ok(heardShare(c.lastRecording(), TONES.a, 'C') > 0.5, 'C hears A');
      assert.ok(heardShare(a.lastRecording(), TONES.c, 'A after the transfer', 2) > 0.5, 'A hears C');
    });

    it('A calls out through the trunk: the carrier echoes A, anchored where the backend says', async () => {
      const carrier = runSipp({
        scenario: 'trunk-carrier-uas.xml',
        target: t.udp,
        localIp: CARRIER.ip,
        localPort: CARRIER.port,
        timeoutS: 20,
        extra: ['-rtp_echo', '-mp', String(CARRIER.media)],
      });
      await sleep(300);
      const est = a.waitFor('CALL_ESTABLISHED');
      assert.equal((await a.command('dial', `sip:00301234@${DOMAIN}`)).ok, true);
      await est;
      await sleep(2500);
      await assertAnchored(2, 'rtpengine');
      await a.command('hangup');
      const r = await carrier;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await sleep(300);
      assert.ok(
        heardShare(a.lastRecording(), TONES.a, 'A') > 0.5,
        "A hears its own tone from the carrier's echo",
      );
      assert.equal((await t.server.store.callHistory.list('acme'))[0]?.direction, 'outbound');
    });

    it('an SRTP phone calls a plain one: audio both ways, the call stays on the relay (it holds the keys)', async () => {
      const secure = new BaresipPhone({
        name: 'srtp',
        user: '103',
        password: PASSWORDS['103'],
        domain: DOMAIN,
        proxy: t.udp,
        basePort: BASE + 120,
        toneHz: TONES.c,
        mediaEnc: 'srtp-mand',
      });
      await secure.start();
      try {
        await secure.waitRegistered();
        await call(secure, b, '101');
        await sleep(2500);
        await assertAnchored(2, 'relay');
        await hangup(secure, b);
        assert.ok(heardShare(b.lastRecording(), TONES.c, 'B') > 0.5, 'B hears the SRTP phone');
        assert.ok(heardShare(secure.lastRecording(), TONES.b, 'SRTP phone') > 0.5, 'the SRTP phone hears B');
      } finally {
        await secure.command('hangup');
        await secure.stop();
      }
    });
  });
