import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Actor } from '../../src/core/calls/call-control-types.js';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';
import { nextEvent } from './support/events.js';

/**
 * Third-party call control with real phones (baresip): the test drives the engine's control interface the HTTP
 * API uses, the phones answer by themselves (answermode=auto, as a desk phone with the auto-answer hints does),
 * and each test checks what the phones hear (tones), see (DTMF, re-INVITEs) and which calls end.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/call-control.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const ANNA: Actor = { tenantId: 'acme', workplace: '200' };
/** Client ports come from below this run's RTP range, so parallel runs do not collide. */
const CLIENT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;

/**
 * The share of `hz` in the phone's last recording between `fromS` and `toS` seconds (from the end if negative).
 * The phone may still be writing it right after the call closed: waits (bounded) for a second of audio.
 */
async function heard(phone: BaresipPhone, hz: number, fromS: number, toS: number): Promise<number> {
  let rec = phone.lastRecording();
  for (let i = 0; i < 30 && (rec?.samples.length ?? 0) < 8000; i++) {
    await sleep(100);
    rec = phone.lastRecording();
  }
  assert.ok(rec, 'a recording');
  const s = rec.samples;
  const at = (sec: number) => Math.max(0, Math.round(sec < 0 ? s.length + sec * rec.rate : sec * rec.rate));
  const seg = s.subarray(at(fromS), Math.min(s.length, at(toS)));
  assert.ok(seg.length >= rec.rate * 0.5, `recording long enough (${s.length} samples)`);
  return toneRatio(seg, rec.rate, hz);
}

describe('third-party call control with real phones', () => {
  let t: TestServer;
  const phones: Record<string, BaresipPhone> = {};
  const ctl = () => t.server.calls.control;

  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE, '--ring-timeout', '20'] });
    const make = (name: string, user: string, password: string, n: number, toneHz: number, auto = true) =>
      (phones[name] = new BaresipPhone({
        name,
        user,
        password,
        domain: DOMAIN,
        proxy: t.udp,
        basePort: CLIENT_BASE + n * 30,
        toneHz,
        answer: auto ? 'auto' : 'manual',
        // The PBX switches what it sends a phone (ringback, music, another party): no baresip 1.0 jitter buffer.
        jitterBuffer: '0-0',
      }));
    make('annaDesk', 'anna-desk', 'acme-AnnaD-Pa55word', 0, 1000);
    make('annaSoft', 'anna-soft', 'acme-AnnaS-Pa55word', 1, 1200);
    make('ben', 'ben', 'acme-FarEnd-Pa55word', 2, 440);
    make('cora', 'cora', 'acme-Target-Pa55word', 3, 700);
    make('dora', 'dora', 'acme-Ringer-Pa55word', 4, 300, false);
    const all = Object.values(phones);
    await Promise.all(all.map((p) => p.start()));
    await Promise.all(all.map((p) => p.waitRegistered()));
  });
  after(async () => {
    await Promise.all(Object.values(phones).map((p) => p.stop()));
    await t?.stop();
  });
  beforeEach(() => {
    for (const p of Object.values(phones)) {
      p.clearEvents();
      p.clearRecordings();
    }
  });
  afterEach(async () => {
    // A failed test may leave a call up: hang up every phone so the next test starts clean (no-op otherwise).
    await Promise.all(Object.values(phones).map((p) => p.command('hangup')));
    await assertBaseline(t, 8000);
    // sndfile names recordings by the second: keep calls at least a second apart.
    await sleep(1000);
  });

  /** Click-to-dial from Anna's desk phone to `to`; resolves once both phones are in the call. */
  async function clickToDial(to: string, far: BaresipPhone): Promise<string> {
    const { annaDesk } = phones as Record<string, BaresipPhone>;
    const answered = nextEvent(t, 'call.answered', (e) => e.caller.workplace === '200');
    const deskUp = annaDesk!.waitFor('CALL_ESTABLISHED');
    const farUp = far.waitFor('CALL_ESTABLISHED');
    const r = await ctl().dial(ANNA, { device: 'anna-desk', to });
    assert.ok(r.ok, JSON.stringify(r));
    await Promise.all([deskUp, farUp, answered]);
    return r.value.callId;
  }

  it('click-to-dial: audio both ways, DTMF at the far phone, hold and resume seen by the desk phone', async () => {
    const { annaDesk, ben } = phones as Record<string, BaresipPhone>;
    const callId = await clickToDial('201', ben!);
    const foreign = await ctl().hangup({ tenantId: 'other', workplace: '200' }, callId);
    assert.ok(!foreign.ok && foreign.error === 'not-found', "another tenant's 200 cannot touch it");
    const v = ctl().callsOf(ANNA);
    assert.deepEqual(
      v.map((c) => [c.id, c.state, c.direction, c.other.number, c.device]),
      [[callId, 'talking', 'outgoing', '201', 'anna-desk']],
    );
    const established = Date.now();
    await sleep(1500);
    const digits = [ben!.waitFor('CALL_DTMF_START', 5000, (e) => e.param === '5')];
    digits.push(ben!.waitFor('CALL_DTMF_START', 5000, (e) => e.param === '#'));
    const dtmf = await ctl().dtmf(ANNA, callId, '5#');
    assert.ok(dtmf.ok, JSON.stringify(dtmf));
    await Promise.all(digits);
    const logged = t.logs.filter((l) => String(l['event']).startsWith('control.') && l['callId'] === callId);
    assert.deepEqual(
      logged.map((l) => [l['event'], l['tenant'], l['workplace'], l['ok']]),
      [
        ['control.dial', 'acme', '200', true],
        ['control.hangup', 'other', '200', false],
        ['control.dtmf', 'acme', '200', true],
      ],
    );
    assert.ok(!JSON.stringify(logged).includes('5#'), 'the digits are not logged');

    const holdSdp = annaDesk!.waitFor('CALL_REMOTE_SDP', 5000, (e) => e.param === 'offer');
    const held = nextEvent(t, 'call.held');
    assert.ok((await ctl().hold(ANNA, callId)).ok);
    await holdSdp;
    assert.equal((await held).by.device, 'anna-desk');
    const heldAt = Date.now() - established;
    assert.equal(ctl().callsOf(ANNA)[0]?.state, 'held');
    await sleep(2500);
    const resumeSdp = annaDesk!.waitFor('CALL_REMOTE_SDP', 5000, (e) => e.param === 'offer');
    const resumed = nextEvent(t, 'call.resumed');
    assert.ok((await ctl().resume(ANNA, callId)).ok);
    await Promise.all([resumeSdp, resumed]);
    await sleep(2000);
    const benDown = ben!.waitFor('CALL_CLOSED');
    const deskDown = annaDesk!.waitFor('CALL_CLOSED');
    assert.ok((await ctl().hangup(ANNA, callId)).ok);
    await Promise.all([benDown, deskDown]);
    await sleep(300);
    const benHearsAnna = await heard(ben!, 1000, 0.3, 1.3);
    const annaHearsBen = await heard(annaDesk!, 440, -1.3, -0.3);
    assert.ok(
      benHearsAnna > 0.5,
      `the far phone hears the desk's 1000 Hz (share ${benHearsAnna.toFixed(3)})`,
    );
    assert.ok(annaHearsBen > 0.5, `the desk hears the far phone's 440 Hz (share ${annaHearsBen.toFixed(3)})`);
    const during = await heard(ben!, 1000, heldAt / 1000 + 0.6, heldAt / 1000 + 1.8);
    // The call ends 2 s after the resume: its last second and a half is after it.
    const afterResume = await heard(ben!, 1000, -1.5, -0.3);
    assert.ok(during < 0.2, `held: the far phone hears music, not the desk (share ${during.toFixed(3)})`);
    assert.ok(afterResume > 0.5, `resumed: the desk again (share ${afterResume.toFixed(3)})`);
  });

  it('blind transfer: the far party ends up with the target, the desk phone leaves the call', async () => {
    const { annaDesk, ben, cora } = phones as Record<string, BaresipPhone>;
    const callId = await clickToDial('201', ben!);
    const deskDown = annaDesk!.waitFor('CALL_CLOSED');
    const coraUp = cora!.waitFor('CALL_ESTABLISHED');
    const moved = nextEvent(t, 'call.transferred');
    const r = await ctl().blindTransfer(ANNA, callId, '202');
    assert.ok(r.ok, JSON.stringify(r));
    await Promise.all([deskDown, coraUp]);
    const e = await moved;
    assert.deepEqual([e.kind, e.to.workplace], ['blind', '202']);
    assert.deepEqual(ctl().callsOf(ANNA), []);
    await sleep(2000);
    const coraDown = cora!.waitFor('CALL_CLOSED');
    await ben!.command('hangup');
    await coraDown;
    await sleep(300);
    const share = await heard(cora!, 440, -1.3, -0.3);
    assert.ok(share > 0.5, `the target hears the far party's 440 Hz (share ${share.toFixed(3)})`);
  });

  it('consult, then complete: the two other parties talk, both calls of the desk phone end', async () => {
    const { annaDesk, ben, cora } = phones as Record<string, BaresipPhone>;
    const callId = await clickToDial('201', ben!);
    const coraUp = cora!.waitFor('CALL_ESTABLISHED');
    const consultAnswered = nextEvent(t, 'call.answered', (e) => e.callee.workplace === '202');
    const c = await ctl().consult(ANNA, callId, '202');
    assert.ok(c.ok, JSON.stringify(c));
    await Promise.all([coraUp, consultAnswered]);
    assert.deepEqual(
      ctl()
        .callsOf(ANNA)
        .map((v) => [v.state, v.other.number]),
      [
        ['held', '201'],
        ['talking', '202'],
      ],
    );
    await sleep(500);
    const deskClosed = [annaDesk!.waitFor('CALL_CLOSED'), annaDesk!.waitFor('CALL_CLOSED')];
    const r = await ctl().completeTransfer(ANNA, callId, c.value.callId);
    assert.ok(r.ok, JSON.stringify(r));
    await Promise.all(deskClosed);
    assert.deepEqual(ctl().callsOf(ANNA), []);
    await sleep(2000);
    const benDown = ben!.waitFor('CALL_CLOSED');
    await cora!.command('hangup');
    await benDown;
    await sleep(300);
    const share = await heard(cora!, 440, -1.3, -0.3);
    assert.ok(share > 0.5, `the target hears the far party's 440 Hz (share ${share.toFixed(3)})`);
  });

  it('directed pickup: the chosen desk phone answers by itself and takes the ringing call', async () => {
    const { annaDesk, ben, dora } = phones as Record<string, BaresipPhone>;
    const ringing = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '203');
    const doraRings = dora!.waitFor('CALL_INCOMING');
    await ben!.command('dial', `sip:203@${DOMAIN}`);
    const { callId } = await ringing;
    await doraRings;
    const doraStops = dora!.waitFor('CALL_CLOSED');
    const up = Promise.all([annaDesk!.waitFor('CALL_ESTABLISHED'), ben!.waitFor('CALL_ESTABLISHED')]);
    const picked = nextEvent(t, 'call.picked-up');
    const r = await ctl().pickup(ANNA, { device: 'anna-desk', callId });
    assert.ok(r.ok && r.value.callId === callId, JSON.stringify(r));
    await Promise.all([up, doraStops]);
    const p = await picked;
    assert.deepEqual([p.kind, p.by.device, p.from.workplace], ['directed', 'anna-desk', '203']);
    await sleep(2000);
    const benDown = ben!.waitFor('CALL_CLOSED');
    await annaDesk!.command('hangup');
    await benDown;
    await sleep(300);
    const share = await heard(annaDesk!, 440, -1.3, -0.3);
    assert.ok(share > 0.5, `the picker hears the caller's 440 Hz (share ${share.toFixed(3)})`);
  });

  it('pull: the other device of the workplace answers by itself and takes the call over', async () => {
    const { annaDesk, annaSoft, ben } = phones as Record<string, BaresipPhone>;
    const callId = await clickToDial('201', ben!);
    const deskDown = annaDesk!.waitFor('CALL_CLOSED');
    const softUp = annaSoft!.waitFor('CALL_ESTABLISHED');
    const r = await ctl().pull(ANNA, { device: 'anna-soft' });
    assert.ok(r.ok && r.value.callId === callId, JSON.stringify(r));
    await Promise.all([deskDown, softUp]);
    assert.equal(ctl().callsOf(ANNA)[0]?.device, 'anna-soft');
    await sleep(2000);
    const benDown = ben!.waitFor('CALL_CLOSED');
    await annaSoft!.command('hangup');
    await benDown;
    await sleep(300);
    const softHearsBen = await heard(annaSoft!, 440, -1.3, -0.3);
    const benHearsSoft = await heard(ben!, 1200, -1.3, -0.3);
    assert.ok(softHearsBen > 0.5, `the new device hears 440 Hz (share ${softHearsBen.toFixed(3)})`);
    assert.ok(
      benHearsSoft > 0.5,
      `the far phone hears the new device's 1200 Hz (share ${benHearsSoft.toFixed(3)})`,
    );
  });
});
