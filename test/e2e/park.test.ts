import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { EventOf } from '../../src/core/events/types.js';
import { TestPhone } from '../support/test-phone.js';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';
import { nextEvent } from './support/events.js';

/**
 * Call park with real phones: baresip caller (440 Hz), parker (700 Hz) and retriever (1000 Hz) — the parker
 * transfers its call to `*68` (a blind REFER), the retriever dials `*88` + location, and the audio is checked both
 * ways on the phones' recordings. A BLF watcher (the repository's SIP test phone) watches a park location.
 */
const RTP_START = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]);
const CLIENT_BASE = RTP_START - 500;
const DOMAIN = 'acme.zentrale.test';
const OTHER = 'other.zentrale.test';
const RECALL_S = 10;

/** 101 (the parker) forwards to its mailbox after 5 s unanswered: the recall follows that rule. */
const FIXTURE = `tenants:
  - id: acme
    name: Acme GmbH
    domain: ${DOMAIN}
    park: { locations: '700-702', recallSeconds: ${RECALL_S} }
    workplaces:
      - extension: '100'
        name: Anna Caller
        devices: [{ username: '100', password: 'acme-Caller-Pa55word' }]
      - extension: '101'
        name: Ben Parker
        language: en
        packages: [voicemail]
        voicemail: { pin: '583914' }
        forwarding: { noAnswer: { target: voicemail, seconds: 5 } }
        devices: [{ username: '101', password: 'acme-Parker-Pa55word' }]
      - extension: '102'
        name: Cara Retriever
        devices: [{ username: '102', password: 'acme-Retriever-Pa55word' }]
      - extension: '103'
        name: Dirk Watcher
        language: en
        packages: [voicemail]
        voicemail: { pin: '583914' }
        forwarding: { busy: voicemail, noAnswer: { target: voicemail, seconds: 5 } }
        devices: [{ username: '103', password: 'acme-Watcher-Pa55word' }]
  - id: other
    name: Other AG
    domain: ${OTHER}
    workplaces:
      - extension: '100'
        name: Eva Lorenz
        devices: [{ username: '100', password: 'other-Lorenz-Pa55word' }]
`;

/** The share of `hz` in the phone's last recording, one second ending 0.3 s before its end. */
function heardAtEnd(phone: BaresipPhone, hz: number): number {
  const rec = phone.lastRecording();
  assert.ok(rec, 'a recording');
  const s = rec.samples;
  const seg = s.subarray(Math.max(0, s.length - rec.rate * 1.3), s.length - rec.rate * 0.3);
  assert.ok(seg.length >= rec.rate * 0.8, `recording long enough (${s.length} samples)`);
  return toneRatio(seg, rec.rate, hz);
}

function logged(t: TestServer, event: string, since = 0): Array<Record<string, unknown>> {
  return t.logs.slice(since).filter((l) => l['event'] === event);
}

async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

/** dialog-info states of a NOTIFY body ('' when the document lists no dialog: the location is free). */
function dialogStates(body: string): string {
  return [...body.matchAll(/<state[^>]*>([a-z]+)<\/state>/g)].map((m) => m[1]).join(',');
}

describe('call park with real phones', () => {
  let t: TestServer;
  let dir: string;
  const phones: { anna?: BaresipPhone; ben?: BaresipPhone; cara?: BaresipPhone } = {};
  const testPhones: TestPhone[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zentrale-park-'));
    const file = join(dir, 'park.yaml');
    writeFileSync(file, FIXTURE);
    t = await startTestServer({ args: ['--provision', file, '--ring-timeout', '20'] });
    const make = (name: keyof typeof phones, user: string, password: string, n: number, toneHz: number) =>
      (phones[name] = new BaresipPhone({
        name,
        user,
        password,
        domain: DOMAIN,
        proxy: t.udp,
        basePort: CLIENT_BASE + n * 40,
        toneHz,
      }));
    make('anna', '100', 'acme-Caller-Pa55word', 0, 440);
    make('ben', '101', 'acme-Parker-Pa55word', 1, 700);
    make('cara', '102', 'acme-Retriever-Pa55word', 2, 1000);
    const all = Object.values(phones) as BaresipPhone[];
    await Promise.all(all.map((p) => p.start()));
    await Promise.all(all.map((p) => p.waitRegistered()));
  });
  after(async () => {
    await Promise.all((Object.values(phones) as BaresipPhone[]).map((p) => p.stop()));
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const p of Object.values(phones) as BaresipPhone[]) {
      p.clearEvents();
      p.clearRecordings();
    }
  });
  afterEach(async () => {
    for (const p of testPhones.splice(0)) await p.close();
    await Promise.all((Object.values(phones) as BaresipPhone[]).map((p) => p.command('hangup')));
    assert.equal(t.server.counts()['parkedCalls'], 0, 'no call left parked');
    await assertBaseline(t, 10_000);
    // sndfile names recordings by the second: keep calls at least a second apart.
    await sleep(1000);
  });

  /** Anna calls Ben, Ben answers; then Ben transfers the call to `referTo` (a park code). */
  async function callAndPark(referTo: string): Promise<EventOf<'park.parked'>> {
    const { anna, ben } = phones as Required<typeof phones>;
    const rings = ben.waitFor('CALL_INCOMING');
    await anna.command('dial', `sip:101@${DOMAIN}`);
    await rings;
    const up = anna.waitFor('CALL_ESTABLISHED');
    await ben.command('accept');
    await up;
    await sleep(500);
    const parked = nextEvent(t, 'park.parked');
    const benDown = ben.waitFor('CALL_CLOSED', 10_000);
    assert.equal((await ben.command('transfer', `sip:${referTo}@${DOMAIN}`)).ok, true);
    const p = await parked;
    await benDown;
    ben.clearEvents();
    return p;
  }

  it('REFER to *68 parks at the lowest free location, the BLF key lights, *88 retrieves with audio both ways', async () => {
    const { anna, cara } = phones as Required<typeof phones>;
    const watcher = await TestPhone.open({
      user: '103',
      password: 'acme-Watcher-Pa55word',
      domain: DOMAIN,
      server: t.udp,
    });
    testPhones.push(watcher);
    const sub = await watcher.subscribe(`sip:700@${DOMAIN}`, {
      headers: [
        ['Event', 'dialog'],
        ['Accept', 'application/dialog-info+xml'],
      ],
    });
    assert.equal(sub.response.status, 200, 'a park location can be watched');
    const [idle] = await watcher.waitForNotifies(1);
    assert.equal(dialogStates(idle!.body), '', 'free: no dialog');

    const since = t.logs.length;
    const p = await callAndPark('*68');
    assert.deepEqual(
      [p.location, p.via, p.parker.workplace, p.parked.workplace],
      ['700', 'refer', '101', '100'],
    );
    // The parker's phone learnt the location from the final NOTIFY's status line.
    assert.ok(logged(t, 'park.parked', since).some((l) => l['location'] === '700'));
    const lit = await watcher.waitForNotifies(2);
    assert.equal(dialogStates(lit[1]!.body), 'confirmed', 'occupied: one confirmed dialog');
    assert.match(lit[1]!.body, new RegExp(`entity="sip:700@${DOMAIN}"`));

    // Anna hears music while she waits, and stays connected.
    await sleep(1500);
    assert.equal(
      anna.events.some((e) => e.type === 'CALL_CLOSED'),
      false,
      'the parked caller stays connected',
    );

    const retrieved = nextEvent(t, 'park.retrieved');
    const caraUp = cara.waitFor('CALL_ESTABLISHED');
    assert.equal((await cara.command('dial', `sip:*88700@${DOMAIN}`)).ok, true);
    await caraUp;
    const r = await retrieved;
    assert.deepEqual([r.location, r.by.workplace], ['700', '102']);
    const off = await watcher.waitForNotifies(3);
    assert.equal(dialogStates(off[2]!.body), 'terminated', 'free again after the retrieve');

    await sleep(2500);
    const annaDown = anna.waitFor('CALL_CLOSED');
    await cara.command('hangup');
    await annaDown;
    await sleep(300);
    const caraHears = heardAtEnd(cara, 440);
    const annaHears = heardAtEnd(anna, 1000);
    assert.ok(caraHears > 0.5, `the retriever hears the caller's 440 Hz (share ${caraHears.toFixed(3)})`);
    assert.ok(annaHears > 0.5, `the caller hears the retriever's 1000 Hz (share ${annaHears.toFixed(3)})`);
    assert.equal((await sub.unsubscribe()).status, 200);
  });

  it('a retrieve from another tenant finds nothing; the own tenant retrieves the chosen location', async () => {
    const { anna, cara } = phones as Required<typeof phones>;
    const p = await callAndPark('*68701');
    assert.equal(p.location, '701', '*68 + location parks there');
    const eva = await TestPhone.open({
      user: '100',
      password: 'other-Lorenz-Pa55word',
      domain: OTHER,
      server: t.udp,
    });
    testPhones.push(eva);
    const foreign = await eva.dial('*88701');
    assert.equal(foreign.status, 404, 'another tenant retrieves nothing');
    // A location that holds nothing answers the same.
    const empty = await eva.dial('*88702');
    assert.equal(empty.status, 404);
    assert.equal(t.server.counts()['parkedCalls'], 1, 'still parked');

    const caraUp = cara.waitFor('CALL_ESTABLISHED');
    await cara.command('dial', `sip:*88701@${DOMAIN}`);
    await caraUp;
    const annaDown = anna.waitFor('CALL_CLOSED');
    await sleep(500);
    await cara.command('hangup');
    await annaDown;
  });

  it('nobody retrieves: the parker is recalled and answers, talking to the caller again', async () => {
    const { anna, ben } = phones as Required<typeof phones>;
    const p = await callAndPark('*68');
    const rings = ben.waitFor('CALL_INCOMING', (RECALL_S + 5) * 1000);
    const recalled = nextEvent(t, 'park.recalled', (e) => e.outcome === 'answered', (RECALL_S + 10) * 1000);
    await rings;
    const waited = Date.now();
    await ben.command('accept');
    const e = await recalled;
    assert.equal(e.location, p.location);
    assert.ok(e.at - p.at >= RECALL_S * 1000 - 500, `recalled after the recall time (${e.at - p.at} ms)`);
    await sleep(2500);
    const annaDown = anna.waitFor('CALL_CLOSED');
    await ben.command('hangup');
    await annaDown;
    await sleep(300);
    assert.ok(Date.now() - waited > 2000);
    const benHears = heardAtEnd(ben, 440);
    const annaHears = heardAtEnd(anna, 700);
    assert.ok(benHears > 0.5, `the parker hears the caller again (share ${benHears.toFixed(3)})`);
    assert.ok(annaHears > 0.5, `the caller hears the parker again (share ${annaHears.toFixed(3)})`);
  });

  it("the recall is not answered: the parker's no-answer rule takes the call to its voicemail", async () => {
    const { anna, ben } = phones as Required<typeof phones>;
    const since = t.logs.length;
    const p = await callAndPark('*68');
    const rings = ben.waitFor('CALL_INCOMING', (RECALL_S + 5) * 1000);
    const diverted = nextEvent(t, 'park.recalled', (e) => e.outcome === 'diverted', (RECALL_S + 15) * 1000);
    const ended = nextEvent(t, 'park.ended', (e) => e.reason === 'diverted', (RECALL_S + 15) * 1000);
    await rings; // Ben lets it ring: after 5 s his no-answer forward to voicemail applies
    const d = await diverted;
    assert.equal(d.location, p.location);
    await ended;
    await until(() => logged(t, 'voicemail.recording', since).length > 0, 20_000, 'recording starts');
    const greeting = logged(t, 'voicemail.greeting.play', since);
    assert.deepEqual(
      greeting.map((l) => l['kind']),
      ['unavailable'],
      'the no-answer greeting',
    );
    await sleep(2000);
    const annaDown = anna.waitFor('CALL_CLOSED', 15_000);
    await anna.command('hangup');
    await annaDown;
    await until(() => logged(t, 'voicemail.kept', since).length > 0, 10_000, 'message kept');
    const msgs = await t.server.store.voicemail.messages('acme', '101');
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.callerNumber, '100');
    assert.ok(msgs[0]!.durationMs >= 1500, `a message of the caller's audio (${msgs[0]!.durationMs} ms)`);
  });

  it('*68 dialled while the call is on hold: the held call parks, the parker hears the location, *88 retrieves', async () => {
    const { anna, ben, cara } = phones as Required<typeof phones>;
    const rings = ben.waitFor('CALL_INCOMING');
    await anna.command('dial', `sip:101@${DOMAIN}`);
    await rings;
    const up = anna.waitFor('CALL_ESTABLISHED');
    await ben.command('accept');
    await up;
    await sleep(500);
    await ben.command('hold');
    await sleep(500);
    ben.clearEvents();
    const parked = nextEvent(t, 'park.parked');
    const announced = ben.waitFor('CALL_ESTABLISHED');
    assert.equal((await ben.command('dial', `sip:*68@${DOMAIN}`)).ok, true);
    const p = await parked;
    assert.deepEqual([p.location, p.via, p.parker.workplace], ['700', 'code', '101']);
    await announced;
    // The held line gets BYE at once; the announcement call ends once "parked at 7 0 0" was spoken.
    await ben.waitFor('CALL_CLOSED', 5000);
    await ben.waitFor('CALL_CLOSED', 15_000);
    await sleep(300);
    const rec = ben.lastRecording();
    assert.ok(rec && rec.samples.length > rec.rate * 1.5, 'the parker heard the announcement');
    let loud = 0;
    for (const x of rec.samples) if (Math.abs(x) > 1000) loud++;
    assert.ok(loud > rec.rate * 0.3, `the announcement is speech, not silence (${loud} loud samples)`);

    const caraUp = cara.waitFor('CALL_ESTABLISHED');
    await cara.command('dial', `sip:*88700@${DOMAIN}`);
    await caraUp;
    await sleep(2000);
    const annaDown = anna.waitFor('CALL_CLOSED');
    await cara.command('hangup');
    await annaDown;
    await sleep(300);
    const caraHears = heardAtEnd(cara, 440);
    assert.ok(caraHears > 0.5, `the retriever hears the caller (share ${caraHears.toFixed(3)})`);
  });

  it('voicemail greeting per reason: busy plays the busy greeting, no answer the unavailable one', async () => {
    const { anna } = phones as Required<typeof phones>;
    const dirk = await TestPhone.open({
      user: '103',
      password: 'acme-Watcher-Pa55word',
      domain: DOMAIN,
      server: t.udp,
    });
    testPhones.push(dirk);
    assert.equal((await dirk.register()).status, 200);
    const greetings = async (): Promise<string> => {
      const since = t.logs.length;
      const up = anna.waitFor('CALL_ESTABLISHED', 15_000);
      await anna.command('dial', `sip:103@${DOMAIN}`);
      await up;
      await until(() => logged(t, 'voicemail.recording', since).length > 0, 20_000, 'recording starts');
      const down = anna.waitFor('CALL_CLOSED', 10_000);
      await anna.command('hangup');
      await down;
      await sleep(1000);
      return logged(t, 'voicemail.greeting.play', since)
        .map((l) => String(l['kind']))
        .join();
    };
    dirk.behaviour = { reject: 486 };
    assert.equal(await greetings(), 'busy');
    dirk.behaviour = 'ignore';
    assert.equal(await greetings(), 'unavailable');
  });
});
