import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, type EventStreamClient } from './support/api-client.js';
import { BaresipPhone, type BaresipEvent } from './support/baresip.js';
import { heardShare } from './support/heard.js';
import { runSipp } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * Hold and resume, blind and attended transfer, call pull, "call as" an executive and click-to-dial into a
 * forward, each driven through the HTTP routes while real phones (baresip, answering by themselves as a desk phone
 * with the auto-answer hints does; one sipp desk phone that checks the hints) are in the call. Each test checks
 * the SIP side: which phones are connected or left (baresip's call events, re-INVITEs), the identity a callee is
 * shown, and what the parties hear (each other's tone, or music while held: RTP through the relay).
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/api-transfers.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
/** Client ports come from below this run's RTP range, so parallel runs do not collide. */
const CLIENT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const TONE = { annaDesk: 1000, annaSoft: 1200, ben: 440, cora: 700 } as const;

interface CallJson {
  id: string;
  state: string;
  other: { number: string; name?: string };
  device?: string;
  for?: { workplace?: string; number: string };
}

describe('e2e: transfers, pull and call-as through the HTTP API with real phones', () => {
  let t: TestServer;
  let anna: ApiClient;
  let stream: EventStreamClient;
  const phones: Record<keyof typeof TONE, BaresipPhone> = {} as Record<keyof typeof TONE, BaresipPhone>;
  const calls = async (): Promise<CallJson[]> =>
    (await anna.request('GET', '/api/v1/calls')).json as unknown as CallJson[];
  /** The last second and a half of `phone`'s recording: its share of `hz` (the other party's tone). */
  const hears = async (phone: BaresipPhone, hz: number, what: string): Promise<number> => {
    // The phone may still be writing the recording right after the call closed.
    for (let i = 0; i < 30 && (phone.lastRecording()?.samples.length ?? 0) < 12_000; i++) await sleep(100);
    return heardShare(phone.lastRecording(), hz, what, 1.5);
  };

  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE, '--ring-timeout', '20'] });
    const make = (name: keyof typeof TONE, user: string, password: string, n: number) =>
      (phones[name] = new BaresipPhone({
        name,
        user,
        password,
        domain: DOMAIN,
        proxy: t.udp,
        basePort: CLIENT_BASE + n * 30,
        toneHz: TONE[name],
        answer: 'auto',
        // The PBX switches what it sends a phone (ringback, music, another party): no baresip 1.0 jitter buffer.
        jitterBuffer: '0-0',
      }));
    make('annaDesk', 'anna-desk', 'acme-AnnaD-Pa55word', 0);
    make('annaSoft', 'anna-soft', 'acme-AnnaS-Pa55word', 1);
    make('ben', 'ben', 'acme-FarEnd-Pa55word', 2);
    make('cora', 'cora', 'acme-Target-Pa55word', 3);
    const all = Object.values(phones);
    await Promise.all(all.map((p) => p.start()));
    await Promise.all(all.map((p) => p.waitRegistered()));
  });
  after(async () => {
    await Promise.all(Object.values(phones).map((p) => p.stop()));
    await t?.stop();
  });
  beforeEach(async () => {
    for (const p of Object.values(phones)) {
      p.clearEvents();
      p.clearRecordings();
    }
    anna = new ApiClient(t.server.httpPort);
    assert.equal(await anna.login(DOMAIN, '200', 'acme-Anna-Web-Pa55word'), 201);
    stream = await anna.stream();
    await stream.waitFor((m) => m.type === 'snapshot');
  });
  afterEach(async () => {
    // A failed test may leave a call up: hang up every phone so the next test starts clean (no-op otherwise).
    await Promise.all(Object.values(phones).map((p) => p.command('hangup')));
    await anna.closeStreams();
    await assertBaseline(t, 8000);
    // sndfile names recordings by the second: keep calls at least a second apart.
    await sleep(1000);
  });

  /**
   * Click-to-dial by HTTP from Anna's desk phone to `to`; resolves with the call's id once both are up (`shown`:
   * the far phone's established event, with the identity it shows).
   */
  async function dialled(
    to: string,
    far: BaresipPhone,
    as?: string,
  ): Promise<{ id: string; shown: BaresipEvent }> {
    const deskUp = phones.annaDesk.waitFor('CALL_ESTABLISHED');
    const farUp = far.waitFor('CALL_ESTABLISHED');
    const r = await anna.request('POST', '/api/v1/calls', {
      device: 'anna-desk',
      to,
      ...(as !== undefined ? { as } : {}),
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const [, shown] = await Promise.all([deskUp, farUp]);
    await stream.waitFor((m) => m.type === 'call.answered');
    const list = await calls();
    assert.equal(list.length, 1, JSON.stringify(list));
    assert.equal(list[0]!.state, 'talking');
    return { id: list[0]!.id, shown };
  }
  const clickToDial = async (to: string, far: BaresipPhone) => (await dialled(to, far)).id;

  it('hold and resume by API: the desk phone is re-INVITEd, the far party hears music, then the desk again', async () => {
    const { annaDesk, ben } = phones;
    // Held until the end: the far party's last seconds are music, not the desk's tone.
    let id = await clickToDial('201', ben);
    await sleep(1000);
    let reinvite = annaDesk.waitFor('CALL_REMOTE_SDP', 5000, (e) => e.param === 'offer');
    assert.equal((await anna.request('POST', `/api/v1/calls/${id}/hold`)).status, 204);
    await reinvite;
    await stream.waitFor((m) => m.type === 'call.held');
    assert.equal((await calls())[0]?.state, 'held');
    await sleep(2500);
    let benDown = ben.waitFor('CALL_CLOSED');
    assert.equal((await anna.request('POST', `/api/v1/calls/${id}/hangup`)).status, 204);
    await benDown;
    const whileHeld = await hears(ben, TONE.annaDesk, 'held far party');
    assert.ok(whileHeld < 0.2, `held: the far party does not hear the desk (share ${whileHeld.toFixed(3)})`);
    await sleep(1000);
    ben.clearRecordings();
    annaDesk.clearEvents();

    // Held, then resumed: the desk is heard again.
    id = await clickToDial('201', ben);
    reinvite = annaDesk.waitFor('CALL_REMOTE_SDP', 5000, (e) => e.param === 'offer');
    assert.equal((await anna.request('POST', `/api/v1/calls/${id}/hold`)).status, 204);
    await reinvite;
    await sleep(1000);
    reinvite = annaDesk.waitFor('CALL_REMOTE_SDP', 5000, (e) => e.param === 'offer');
    assert.equal((await anna.request('POST', `/api/v1/calls/${id}/resume`)).status, 204);
    await reinvite;
    await stream.waitFor((m) => m.type === 'call.resumed');
    assert.equal((await calls())[0]?.state, 'talking');
    await sleep(2500);
    benDown = ben.waitFor('CALL_CLOSED');
    assert.equal((await anna.request('POST', `/api/v1/calls/${id}/hangup`)).status, 204);
    await benDown;
    const resumed = await hears(ben, TONE.annaDesk, 'resumed far party');
    assert.ok(resumed > 0.5, `resumed: the far party hears the desk again (share ${resumed.toFixed(3)})`);
  });

  it('blind transfer: the far party ends up with the target, the desk phone leaves the call', async () => {
    const { annaDesk, ben, cora } = phones;
    const id = await clickToDial('201', ben);
    // Another tenant's login cannot transfer it: 404, as for a call that does not exist.
    const rival = new ApiClient(t.server.httpPort);
    assert.equal(await rival.login('rival.zentrale.test', '200', 'rival-Rolf-Web-Pa55word'), 201);
    assert.equal((await rival.request('POST', `/api/v1/calls/${id}/transfer`, { to: '202' })).status, 404);

    const deskDown = annaDesk.waitFor('CALL_CLOSED');
    const coraUp = cora.waitFor('CALL_ESTABLISHED');
    const r = await anna.request('POST', `/api/v1/calls/${id}/transfer`, { to: '202' });
    assert.equal(r.status, 204, JSON.stringify(r.json));
    await Promise.all([deskDown, coraUp]);
    const moved = await stream.waitFor((m) => m.type === 'call.transferred');
    assert.equal(moved.data['kind'], 'blind');
    assert.equal((moved.data['to'] as { workplace: string }).workplace, '202');
    assert.deepEqual(await calls(), []);
    await sleep(2000);
    const coraDown = cora.waitFor('CALL_CLOSED');
    await ben.command('hangup');
    await coraDown;
    const coraHearsBen = await hears(cora, TONE.ben, 'target');
    const benHearsCora = await hears(ben, TONE.cora, 'far party');
    assert.ok(coraHearsBen > 0.5, `the target hears the far party (share ${coraHearsBen.toFixed(3)})`);
    assert.ok(benHearsCora > 0.5, `the far party hears the target (share ${benHearsCora.toFixed(3)})`);
  });

  it('consultation, then complete: the two other parties talk, both calls of the desk phone end', async () => {
    const { annaDesk, ben, cora } = phones;
    const id = await clickToDial('201', ben);
    const coraUp = cora.waitFor('CALL_ESTABLISHED');
    const c = await anna.request('POST', `/api/v1/calls/${id}/consult`, { to: '202' });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    await coraUp;
    await stream.waitFor((m) => m.type === 'call.answered' && m.data['callId'] !== id);
    const during = await calls();
    assert.deepEqual(
      during.map((v) => [v.state, v.other.number]),
      [
        ['held', '201'],
        ['talking', '202'],
      ],
    );
    await sleep(500);
    const deskClosed = [annaDesk.waitFor('CALL_CLOSED'), annaDesk.waitFor('CALL_CLOSED')];
    const r = await anna.request('POST', `/api/v1/calls/${id}/complete-transfer`, {
      consultCallId: during[1]!.id,
    });
    assert.equal(r.status, 204, JSON.stringify(r.json));
    await Promise.all(deskClosed);
    const moved = await stream.waitFor((m) => m.type === 'call.transferred');
    assert.equal(moved.data['kind'], 'attended');
    assert.deepEqual(await calls(), []);
    await sleep(2000);
    const benDown = ben.waitFor('CALL_CLOSED');
    await cora.command('hangup');
    await benDown;
    const coraHearsBen = await hears(cora, TONE.ben, 'target');
    const benHearsCora = await hears(ben, TONE.cora, 'far party');
    assert.ok(coraHearsBen > 0.5, `the target hears the far party (share ${coraHearsBen.toFixed(3)})`);
    assert.ok(benHearsCora > 0.5, `the far party hears the target (share ${benHearsCora.toFixed(3)})`);
  });

  it('call pull: my other device answers by itself and takes the call over', async () => {
    const { annaDesk, annaSoft, ben } = phones;
    const id = await clickToDial('201', ben);
    const deskDown = annaDesk.waitFor('CALL_CLOSED');
    const softUp = annaSoft.waitFor('CALL_ESTABLISHED');
    const r = await anna.request('POST', '/api/v1/calls/pull', { device: 'anna-soft' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json['callId'], id);
    await Promise.all([deskDown, softUp]);
    const picked = await stream.waitFor((m) => m.type === 'call.picked-up');
    assert.equal(picked.data['kind'], 'pull');
    assert.equal((await calls())[0]?.device, 'anna-soft');
    await sleep(2000);
    const benDown = ben.waitFor('CALL_CLOSED');
    await annaSoft.command('hangup');
    await benDown;
    const softHearsBen = await hears(annaSoft, TONE.ben, 'new device');
    const benHearsSoft = await hears(ben, TONE.annaSoft, 'far party');
    assert.ok(softHearsBen > 0.5, `the new device hears the far party (share ${softHearsBen.toFixed(3)})`);
    assert.ok(benHearsSoft > 0.5, `the far party hears the new device (share ${benHearsSoft.toFixed(3)})`);
  });

  it("call as: the callee sees the executive; only while I am opted in to the executive's calls", async () => {
    const { annaDesk, cora } = phones;
    // Opted out (through the executive API): calling as the executive is refused.
    const out = await anna.request('PUT', '/api/v1/executives/204/assistants/200', { optedIn: false });
    assert.equal(out.status, 200, JSON.stringify(out.json));
    const refused = await anna.request('POST', '/api/v1/calls', {
      device: 'anna-desk',
      to: '202',
      as: '204',
    });
    assert.equal(refused.status, 403, JSON.stringify(refused.json));
    assert.equal(
      (await anna.request('PUT', '/api/v1/executives/204/assistants/200', { optedIn: true })).status,
      200,
    );

    const { id, shown } = await dialled('202', cora, '204');
    assert.match(shown.peeruri ?? '', /^sip:204@/, JSON.stringify(shown));
    assert.equal(shown.peerdisplayname, 'Eva Executive');
    const view = (await calls())[0]!;
    assert.equal(view.for?.workplace, '204');
    const offered = await stream.waitFor((m) => m.type === 'call.offered' && m.data['callId'] === id);
    assert.equal((offered.data['caller'] as { number: string }).number, '204');
    await sleep(2000);
    const coraDown = cora.waitFor('CALL_CLOSED');
    assert.equal((await anna.request('POST', `/api/v1/calls/${id}/hangup`)).status, 204);
    await Promise.all([coraDown, annaDesk.waitFor('CALL_CLOSED')]);
    const coraHearsAnna = await hears(cora, TONE.annaDesk, 'callee');
    const annaHearsCora = await hears(annaDesk, TONE.cora, 'assistant');
    assert.ok(coraHearsAnna > 0.5, `the callee hears the assistant (share ${coraHearsAnna.toFixed(3)})`);
    assert.ok(annaHearsCora > 0.5, `the assistant hears the callee (share ${annaHearsCora.toFixed(3)})`);
  });

  it("click-to-dial follows the callee's forwarding, set through the API", async () => {
    const { annaDesk, ben, cora } = phones;
    const coraApi = new ApiClient(t.server.httpPort);
    assert.equal(await coraApi.login(DOMAIN, '202', 'acme-Cora-Web-Pa55word'), 201);
    const set = await coraApi.request('PUT', '/api/v1/me/forwarding', {
      always: { to: '201', enabled: true },
    });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    try {
      const id = await clickToDial('202', ben);
      assert.equal((await calls())[0]?.other.number, '201');
      assert.ok(!cora.events.some((e) => e.type === 'CALL_INCOMING' || e.type === 'CALL_ESTABLISHED'));
      await sleep(2000);
      const benDown = ben.waitFor('CALL_CLOSED');
      assert.equal((await anna.request('POST', `/api/v1/calls/${id}/hangup`)).status, 204);
      await Promise.all([benDown, annaDesk.waitFor('CALL_CLOSED')]);
      const benHearsAnna = await hears(ben, TONE.annaDesk, 'forward target');
      assert.ok(benHearsAnna > 0.5, `the forward target hears the desk (share ${benHearsAnna.toFixed(3)})`);
    } finally {
      const off = await coraApi.request('PUT', '/api/v1/me/forwarding', { always: { enabled: false } });
      assert.equal(off.status, 200);
    }
  });

  it('click-to-dial from a sipp desk phone: auto-answer hints, the callee answers, RTP both ways', async () => {
    const { cora } = phones;
    const port = CLIENT_BASE + 200;
    const sipp = (scenario: string, expires: number) =>
      runSipp({
        scenario,
        target: t.udp,
        localPort: port,
        keys: { user: 'anna-sipp', domain: DOMAIN, expires },
        extra: ['-au', 'anna-sipp', '-ap', 'acme-AnnaX-Pa55word'],
      });
    assert.equal((await sipp('register-auth.xml', 300)).code, 0);
    try {
      // The desk echoes the audio it gets: the callee hears its own tone only if RTP flows both ways.
      const desk = runSipp({
        scenario: 'desk-auto-answer.xml',
        target: t.udp,
        localPort: port,
        keys: { user: 'anna-sipp' },
        timeoutS: 30,
        extra: ['-mi', '127.0.0.1', '-mp', String(port + 2), '-rtp_echo'],
      });
      await sleep(300);
      const coraUp = cora.waitFor('CALL_ESTABLISHED');
      const r = await anna.request('POST', '/api/v1/calls', { device: 'anna-sipp', to: '202' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      await coraUp;
      await stream.waitFor((m) => m.type === 'call.answered');
      const view = (await calls())[0]!;
      assert.deepEqual([view.state, view.device, view.other.number], ['talking', 'anna-sipp', '202']);
      await sleep(2500);
      const coraDown = cora.waitFor('CALL_CLOSED');
      assert.equal((await anna.request('POST', `/api/v1/calls/${view.id}/hangup`)).status, 204);
      await coraDown;
      const run = await desk;
      assert.equal(run.code, 0, `the desk phone saw both hints and the BYE:\n${run.stderr}`);
      const echoed = await hears(cora, TONE.cora, 'callee');
      assert.ok(echoed > 0.5, `the callee hears its tone back through the desk (share ${echoed.toFixed(3)})`);
    } finally {
      await sipp('unregister-all.xml', 0);
    }
  });

  it('group pickup by API: my desk phone takes the call ringing at a colleague of my pickup group', async () => {
    const { annaDesk, cora } = phones;
    const port = CLIENT_BASE + 210;
    const sipp = (scenario: string, expires: number) =>
      runSipp({
        scenario,
        target: t.udp,
        localPort: port,
        keys: { user: 'dora', domain: DOMAIN, expires },
        extra: ['-au', 'dora', '-ap', 'acme-Ringer-Pa55word'],
      });
    assert.equal((await sipp('register-auth.xml', 300)).code, 0);
    try {
      // Dora's phone rings and must get CANCEL "Call completed elsewhere" once the call is picked up.
      const dora = runSipp({
        scenario: 'device-cancelled-elsewhere.xml',
        target: t.udp,
        localPort: port,
        keys: { user: 'dora' },
        timeoutS: 20,
      });
      await sleep(300);
      await cora.command('dial', `sip:203@${DOMAIN}`);
      // Until the call rings at 203 there is nothing to pick up.
      const dorasCalls = () => t.server.calls.control.callsOf({ tenantId: 'acme', workplace: '203' });
      for (let i = 0; i < 50 && dorasCalls()[0]?.state !== 'ringing'; i++) await sleep(100);
      assert.equal(dorasCalls()[0]?.state, 'ringing');
      const up = Promise.all([annaDesk.waitFor('CALL_ESTABLISHED'), cora.waitFor('CALL_ESTABLISHED')]);
      const r = await anna.request('POST', '/api/v1/calls/pickup', { device: 'anna-desk' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      await up;
      const picked = await stream.waitFor((m) => m.type === 'call.picked-up');
      assert.equal(picked.data['kind'], 'group');
      assert.equal((picked.data['from'] as { workplace: string }).workplace, '203');
      const run = await dora;
      assert.equal(
        run.code,
        0,
        `the colleague's phone got CANCEL "Call completed elsewhere":\n${run.stderr}`,
      );
      await sleep(2000);
      const coraDown = cora.waitFor('CALL_CLOSED');
      await annaDesk.command('hangup');
      await coraDown;
      const annaHearsCora = await hears(annaDesk, TONE.cora, 'picker');
      const coraHearsAnna = await hears(cora, TONE.annaDesk, 'caller');
      assert.ok(annaHearsCora > 0.5, `the picker hears the caller (share ${annaHearsCora.toFixed(3)})`);
      assert.ok(coraHearsAnna > 0.5, `the caller hears the picker (share ${coraHearsAnna.toFixed(3)})`);
    } finally {
      await sipp('unregister-all.xml', 0);
    }
  });
});
