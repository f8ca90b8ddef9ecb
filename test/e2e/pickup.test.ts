import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { receivedResponses, runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';
import { nextEvent } from './support/events.js';

/**
 * Call pickup with real phones: baresip callers and pickers (audio checked on the picking phone), sipp desks
 * that ring and must get CANCEL "Call completed elsewhere", and sipp for INVITE with Replaces (a BLF key).
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/pickup.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const OTHER_DOMAIN = 'other.zentrale.test';

interface Desk {
  user: string;
  password: string;
  port: number;
  domain: string;
}
const DESK_A: Desk = { user: 'desk-a', password: 'acme-DeskA-Pa55word', port: 25800, domain: DOMAIN };
const DESK_C: Desk = { user: 'desk-c', password: 'acme-DeskC-Pa55word', port: 25802, domain: DOMAIN };
const SIPP_USERS = {
  picker: { user: 'picker', password: 'acme-Paul-Pa55word', domain: DOMAIN },
  bea: { user: '204', password: 'acme-Berger-Pa55word', domain: DOMAIN },
  other: { user: '100', password: 'other-Kunz-Pa55word', domain: OTHER_DOMAIN },
};

/** Registers a desk from its fixed port, then lets a sipp play `scenario` there (ringing until CANCEL). */
async function ringingDesk(t: TestServer, d: Desk, scenario: string): Promise<{ done: Promise<SippRun> }> {
  const reg = await runSipp({
    scenario: 'register-auth.xml',
    target: t.udp,
    localPort: d.port,
    keys: { user: d.user, domain: d.domain, expires: 300 },
    extra: ['-au', d.user, '-ap', d.password],
  });
  assert.equal(reg.code, 0, reg.stdout + reg.stderr);
  return {
    done: runSipp({ scenario, target: t.udp, localPort: d.port, keys: { user: d.user }, timeoutS: 25 }),
  };
}

async function unregisterDesks(t: TestServer): Promise<void> {
  for (const d of [DESK_A, DESK_C])
    await runSipp({
      scenario: 'unregister-all.xml',
      target: t.udp,
      localPort: d.port,
      keys: { user: d.user, domain: d.domain, expires: 0 },
      extra: ['-au', d.user, '-ap', d.password],
    });
}

/** One INVITE from a sipp phone (digest auth), traced so the final response's reason phrase can be checked. */
function sippCall(
  t: TestServer,
  scenario: string,
  who: (typeof SIPP_USERS)[keyof typeof SIPP_USERS],
  dial: string,
  more: Record<string, string> = {},
): Promise<SippRun> {
  return runSipp({
    scenario,
    target: t.udp,
    keys: { user: who.user, domain: who.domain, dial, ...more },
    extra: ['-au', who.user, '-ap', who.password],
    timeoutS: 10,
    trace: true,
  });
}

/** The final response of a traced sipp run, as "status reason". */
function finalOf(r: SippRun): string {
  const finals = receivedResponses(r.messages).filter((x) => x.status >= 200 && x.status !== 407);
  return (
    finals
      .at(-1)
      ?.text.split('\n', 1)[0]
      ?.replace(/^SIP\/2\.0 /, '')
      .trim() ?? 'none'
  );
}

/** The share of `hz` in one second of the phone's last recording, after the first half second. */
function heard(phone: BaresipPhone, hz: number, from: 'start' | 'end' = 'start'): number {
  const rec = phone.lastRecording();
  assert.ok(rec, 'a recording');
  const s = rec.samples;
  const seg =
    from === 'start'
      ? s.subarray(rec.rate / 2, rec.rate / 2 + rec.rate)
      : s.subarray(Math.max(0, s.length - rec.rate * 1.3), s.length - rec.rate * 0.3);
  assert.ok(seg.length >= rec.rate * 0.8, `recording long enough (${s.length} samples)`);
  return toneRatio(seg, rec.rate, hz);
}

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stderr}`);

describe('call pickup with real phones', () => {
  let t: TestServer;
  const phones: Record<string, BaresipPhone> = {};

  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE, '--ring-timeout', '20'] });
    const make = (
      name: string,
      user: string,
      password: string,
      basePort: number,
      toneHz: number,
      audioCodecs?: string,
    ) =>
      (phones[name] = new BaresipPhone({
        name,
        user,
        password,
        domain: DOMAIN,
        proxy: t.udp,
        basePort,
        toneHz,
        ...(audioCodecs ? { audioCodecs } : {}),
      }));
    make('karin', '100', 'acme-Heiden-Pa55word', 26200, 1000);
    // The picker speaks PCMA only while the callers offer PCMU first: the relay translates between the laws.
    make('paul', 'picker', 'acme-Paul-Pa55word', 26240, 440, 'PCMA');
    make('bea', '204', 'acme-Berger-Pa55word', 26280, 700);
    make('noraDesk', 'nora-desk', 'acme-Nora-D-Pa55word', 26320, 300);
    make('noraSoft', 'nora-soft', 'acme-Nora-S-Pa55word', 26360, 550);
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
    await unregisterDesks(t);
    await assertBaseline(t, 8000);
    // sndfile names recordings by the second: keep calls at least a second apart.
    await sleep(1000);
  });

  it('*97 + extension: the picker talks to the caller, the desk gets CANCEL, the call is published', async () => {
    const { karin, paul } = phones as Record<string, BaresipPhone>;
    const desk = await ringingDesk(t, DESK_A, 'device-cancelled-elsewhere.xml');
    const ringing = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '201');
    await karin!.command('dial', `sip:201@${DOMAIN}`);
    const { callId } = await ringing;
    const picked = nextEvent(t, 'call.picked-up');
    const answered = nextEvent(t, 'call.answered');
    const karinUp = karin!.waitFor('CALL_ESTABLISHED');
    const paulUp = paul!.waitFor('CALL_ESTABLISHED');
    assert.equal((await paul!.command('dial', `sip:*97201@${DOMAIN}`)).ok, true);
    await Promise.all([karinUp, paulUp]);
    const p = await picked;
    assert.equal(p.callId, callId);
    assert.deepEqual(
      [p.kind, p.by.workplace, p.by.device, p.from.workplace],
      ['directed', '203', 'picker', '201'],
    );
    const a = await answered;
    assert.deepEqual([a.callee.workplace, a.device], ['203', 'picker']);
    const line = t.logs.find((l) => l['event'] === 'call.picked-up' && l['call'] === callId);
    // The caller offered PCMU and PCMA, the picker PCMA only: both legs get the shared PCMA (passed through).
    assert.deepEqual([line?.['callerCodec'], line?.['pickerCodec']], ['PCMA', 'PCMA'], 'the shared law');
    ok(await desk.done, 'desk-a (CANCEL with Reason "Call completed elsewhere")');
    // While connected: the picker's leg is what a BLF watcher of 203 would see; a Replaces with early-only
    // naming that confirmed dialog is refused with 486 (RFC 3891 section 3).
    // The legs exist once both 200s are ACKed (the phones report "established" on the 200 already).
    let leg = t.server.calls.pickupLegOf('acme', callId, '203');
    for (let i = 0; i < 20 && !leg; i++) {
      await sleep(50);
      leg = t.server.calls.pickupLegOf('acme', callId, '203');
    }
    assert.ok(leg, 'the connected leg of 203');
    assert.equal(t.server.calls.pickupLegOf('other', callId, '203'), undefined, 'not for another tenant');
    const r486 = await sippCall(t, 'pickup-replaces-486.xml', SIPP_USERS.bea, '203', {
      replaces: `${leg.callId};to-tag=${leg.remoteTag};from-tag=${leg.localTag};early-only`,
    });
    ok(r486, 'early-only Replaces of a confirmed dialog');
    assert.equal(finalOf(r486), '486 Dialog Already Answered');
    await sleep(2000);
    const karinDown = karin!.waitFor('CALL_CLOSED');
    await paul!.command('hangup');
    await karinDown;
    await sleep(300);
    const paulHearsKarin = heard(paul!, 1000);
    const karinHearsPaul = heard(karin!, 440, 'end');
    assert.ok(
      paulHearsKarin > 0.5,
      `the picker hears the caller's 1000 Hz (share ${paulHearsKarin.toFixed(3)})`,
    );
    assert.ok(
      karinHearsPaul > 0.5,
      `the caller hears the picker's 440 Hz (share ${karinHearsPaul.toFixed(3)})`,
    );
    const [rec] = await waitHistory(t, callId);
    assert.deepEqual(rec?.pickup, { kind: 'directed', from: '201' });
    assert.equal(rec?.answeredByDevice, 'picker');
    assert.equal(rec?.outcome, 'completed');
  });

  it('a picked-up call can be transferred on (blind transfer by the picker)', async () => {
    const { karin, paul, noraDesk } = phones as Record<string, BaresipPhone>;
    const desk = await ringingDesk(t, DESK_A, 'device-cancelled-elsewhere.xml');
    const ringing = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '201');
    await karin!.command('dial', `sip:201@${DOMAIN}`);
    const { callId } = await ringing;
    const up = Promise.all([karin!.waitFor('CALL_ESTABLISHED'), paul!.waitFor('CALL_ESTABLISHED')]);
    await paul!.command('dial', `sip:*97201@${DOMAIN}`);
    await up;
    ok(await desk.done, 'desk-a');
    await sleep(1000);
    const transferred = nextEvent(t, 'call.transferred');
    const noraRings = noraDesk!.waitFor('CALL_INCOMING');
    const paulDown = paul!.waitFor('CALL_CLOSED');
    assert.equal((await paul!.command('transfer', `sip:205@${DOMAIN}`)).ok, true);
    await noraRings;
    const noraUp = noraDesk!.waitFor('CALL_ESTABLISHED');
    await noraDesk!.command('accept');
    await noraUp;
    await paulDown;
    const e = await transferred;
    assert.deepEqual([e.callId, e.kind, e.by.workplace, e.to.workplace], [callId, 'blind', '203', '205']);
    await sleep(2000);
    const karinDown = karin!.waitFor('CALL_CLOSED');
    await noraDesk!.command('hangup');
    await karinDown;
    await sleep(300);
    const share = heard(noraDesk!, 1000);
    assert.ok(share > 0.5, `the transfer target hears the caller's 1000 Hz (share ${share.toFixed(3)})`);
  });

  for (const orientation of ['RFC 3891 (to-tag = ours)', 'swapped (to-tag = the device’s)'] as const) {
    it(`INVITE with Replaces naming the ringing branch picks up, ${orientation}; another tenant gets 481`, async () => {
      const { karin } = phones as Record<string, BaresipPhone>;
      const desk = await ringingDesk(t, DESK_A, 'device-cancelled-elsewhere.xml');
      const ringing = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '201');
      await karin!.command('dial', `sip:201@${DOMAIN}`);
      const { callId } = await ringing;
      const leg = t.server.calls.pickupLegOf('acme', callId, '201');
      assert.ok(leg, 'the ringing branch to 201');
      assert.match(leg.localTag, /SIPpTag/, "local = the device's To tag from its 180");
      assert.equal(t.server.calls.pickupLegOf('other', callId, '201'), undefined);
      assert.equal(t.server.calls.pickupLegOf('acme', callId, '202'), undefined);
      const header = orientation.startsWith('RFC')
        ? `${leg.callId};to-tag=${leg.remoteTag};from-tag=${leg.localTag};early-only`
        : `${leg.callId};to-tag=${leg.localTag};from-tag=${leg.remoteTag}`;
      // The same identifiers from another tenant's phone: not found, and the call rings on.
      const foreign = await sippCall(t, 'pickup-replaces-481.xml', SIPP_USERS.other, '201', {
        replaces: header,
      });
      ok(foreign, 'other tenant');
      assert.equal(finalOf(foreign), '481 Replaced Dialog Not Found');
      assert.equal(t.server.calls.count(), 1);
      const picked = nextEvent(t, 'call.picked-up');
      const karinUp = karin!.waitFor('CALL_ESTABLISHED');
      const karinDown = karin!.waitFor('CALL_CLOSED', 15000);
      const blf = await sippCall(t, 'pickup-replaces.xml', SIPP_USERS.picker, '201', { replaces: header });
      ok(blf, 'the BLF pickup (200 with the caller in P-Asserted-Identity / Remote-Party-ID, PCMA answer)');
      await karinUp;
      await karinDown;
      const p = await picked;
      assert.deepEqual([p.kind, p.by.device, p.from.workplace], ['replaces', 'picker', '201']);
      ok(await desk.done, 'desk-a');
      const [rec] = await waitHistory(t, callId);
      assert.deepEqual(rec?.pickup, { kind: 'replaces', from: '201' });
    });
  }

  for (const order of ['newest', 'oldest'] as const) {
    it(`*98 with two members ringing takes the ${order} call (tenant setting pickupOrder: ${order})`, async () => {
      const { karin, bea, paul } = phones as Record<string, BaresipPhone>;
      if (order === 'oldest') await provisionOrder(t, 'oldest');
      try {
        // Karin calls 201 first, Bea calls 202 a moment later.
        const picked201 = order === 'oldest';
        const deskA = await ringingDesk(
          t,
          DESK_A,
          picked201 ? 'device-cancelled-elsewhere.xml' : 'device-cancelled.xml',
        );
        const deskC = await ringingDesk(
          t,
          DESK_C,
          picked201 ? 'device-cancelled.xml' : 'device-cancelled-elsewhere.xml',
        );
        const r1 = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '201');
        await karin!.command('dial', `sip:201@${DOMAIN}`);
        await r1;
        await sleep(300);
        const r2 = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '202');
        await bea!.command('dial', `sip:202@${DOMAIN}`);
        await r2;
        const [winner, loser, tone] = picked201 ? [karin!, bea!, 1000] : [bea!, karin!, 700];
        const picked = nextEvent(t, 'call.picked-up');
        const up = Promise.all([winner.waitFor('CALL_ESTABLISHED'), paul!.waitFor('CALL_ESTABLISHED')]);
        await paul!.command('dial', `sip:*98@${DOMAIN}`);
        await up;
        const p = await picked;
        assert.deepEqual([p.kind, p.from.workplace], ['group', picked201 ? '201' : '202']);
        assert.equal(t.server.calls.count(), 2, 'the other call still rings');
        await sleep(1500);
        // A picked-up call is an ordinary answered call: the picker can hold it.
        const held = nextEvent(t, 'call.held');
        assert.equal((await paul!.command('hold')).ok, true);
        const h = await held;
        assert.deepEqual([h.callId, h.by.workplace], [p.callId, '203']);
        await sleep(500);
        const winnerDown = winner.waitFor('CALL_CLOSED');
        await paul!.command('hangup');
        await winnerDown;
        // The caller that was not picked gives up: its desk gets a plain CANCEL.
        const loserDown = loser.waitFor('CALL_CLOSED');
        await loser.command('hangup');
        await loserDown;
        ok(await deskA.done, 'desk-a');
        ok(await deskC.done, 'desk-c');
        await sleep(300);
        const share = heard(paul!, tone);
        assert.ok(share > 0.5, `the picker hears the picked caller's ${tone} Hz (share ${share.toFixed(3)})`);
      } finally {
        if (order === 'oldest') await provisionOrder(t, 'newest');
      }
    });
  }

  it('refused cleanly: across tenants, nothing ringing, not in a group, unknown extension; the ringing call is untouched', async () => {
    const { karin } = phones as Record<string, BaresipPhone>;
    const desk = await ringingDesk(t, DESK_A, 'device-cancelled.xml');
    const ringing = nextEvent(t, 'call.ringing', (e) => e.callee.workplace === '201');
    await karin!.command('dial', `sip:201@${DOMAIN}`);
    await ringing;
    const pickedUp: string[] = [];
    const off = t.server.bus.on('call.picked-up', (e) => pickedUp.push(e.callId));
    try {
      const cases: Array<[string, (typeof SIPP_USERS)[keyof typeof SIPP_USERS], string, string]> = [
        // Tenant "other" has a 201 and a pickup group too: acme's ringing 201 is invisible to it.
        ['device-call-480.xml', SIPP_USERS.other, '*97201', '480 Nothing Ringing'],
        ['device-call-480.xml', SIPP_USERS.other, '*98', '480 Nothing Ringing In Pickup Group'],
        ['device-call-480.xml', SIPP_USERS.picker, '*97202', '480 Nothing Ringing'],
        ['device-call-404.xml', SIPP_USERS.picker, '*97299', '404 Extension Not Found'],
        ['device-call-403.xml', SIPP_USERS.bea, '*98', '403 Not In A Pickup Group'],
        ['device-call-480.xml', SIPP_USERS.bea, '*11', '480 No Call To Pull'],
      ];
      for (const [scenario, who, dial, want] of cases) {
        const r = await sippCall(t, scenario, who, dial);
        ok(r, `${who.user}@${who.domain} dials ${dial}`);
        assert.equal(finalOf(r), want, `${who.user}@${who.domain} dials ${dial}`);
      }
    } finally {
      off();
    }
    assert.deepEqual(pickedUp, []);
    assert.equal(t.server.calls.count(), 1, 'the call to 201 still rings');
    assert.equal(
      karin!.events.some((e) => e.type === 'CALL_CLOSED'),
      false,
    );
    const down = karin!.waitFor('CALL_CLOSED');
    await karin!.command('hangup');
    await down;
    ok(await desk.done, 'desk-a (rang on, then a plain CANCEL)');
  });

  it('*11 call pull: the call moves from the desk phone to the softphone of the same workplace, audio kept', async () => {
    const { karin, noraDesk, noraSoft } = phones as Record<string, BaresipPhone>;
    const deskRings = noraDesk!.waitFor('CALL_INCOMING');
    const softRings = noraSoft!.waitFor('CALL_INCOMING');
    await karin!.command('dial', `sip:205@${DOMAIN}`);
    await Promise.all([deskRings, softRings]);
    const up = karin!.waitFor('CALL_ESTABLISHED');
    const softCancelled = noraSoft!.waitFor('CALL_CLOSED');
    await noraDesk!.command('accept');
    await up;
    await softCancelled;
    await sleep(1500);
    noraSoft!.clearEvents();
    const picked = nextEvent(t, 'call.picked-up');
    const deskDown = noraDesk!.waitFor('CALL_CLOSED');
    const softUp = noraSoft!.waitFor('CALL_ESTABLISHED');
    await sleep(1000); // a new recording file name for the softphone's second call
    assert.equal((await noraSoft!.command('dial', `sip:*11@${DOMAIN}`)).ok, true);
    await softUp;
    await deskDown;
    const p = await picked;
    assert.deepEqual([p.kind, p.by.device, p.from.device], ['pull', 'nora-soft', 'nora-desk']);
    await sleep(2500);
    assert.equal(
      karin!.events.some((e) => e.type === 'CALL_CLOSED'),
      false,
      'the caller stayed connected',
    );
    const karinDown = karin!.waitFor('CALL_CLOSED');
    await noraSoft!.command('hangup');
    await karinDown;
    await sleep(300);
    const softHears = heard(noraSoft!, 1000);
    const karinHears = heard(karin!, 550, 'end');
    assert.ok(softHears > 0.5, `the softphone hears the caller's 1000 Hz (share ${softHears.toFixed(3)})`);
    assert.ok(
      karinHears > 0.5,
      `the caller now hears the softphone's 550 Hz (share ${karinHears.toFixed(3)})`,
    );
    const [rec] = await waitHistory(t, p.callId);
    assert.deepEqual(rec?.pickup, { kind: 'pull', from: 'nora-desk' });
  });
});

/** The history record of `callId`, once written (bounded wait). */
async function waitHistory(t: TestServer, callId: string) {
  for (let i = 0; i < 50; i++) {
    const recs = (await t.server.store.callHistory.list('acme')).filter((r) => r.callId === callId);
    if (recs.length > 0) return recs;
    await sleep(100);
  }
  assert.fail(`no history record for ${callId}`);
}

/** Re-provisions the fixture with acme's pickupOrder set to `order`. */
async function provisionOrder(t: TestServer, order: 'newest' | 'oldest'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-pickup-'));
  try {
    const file = join(dir, 'pickup.yaml');
    const text = readFileSync(FIXTURE, 'utf8').replace(
      '    pickupGroups:\n      - name: Support',
      `    pickupOrder: ${order}\n    pickupGroups:\n      - name: Support`,
    );
    assert.notEqual(text, readFileSync(FIXTURE, 'utf8'));
    writeFileSync(file, text);
    await t.server.provision(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((await t.server.store.pickup.settings('acme')).order, order);
}
