import { afterEach, after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BaresipPhone } from './support/baresip.js';
import { heardShare, heardWithin } from './support/heard.js';
import { LinphonePhone } from './support/linphone.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/**
 * Attended transfer and pickup with Opus Linphones (Opus is never transcoded: the legs are re-negotiated or pass
 * it through) and baresip (with its Opus module, or PCMU only). After each step both sides hear each other's
 * tone and no Linphone logs a payload type it did not negotiate. Client ports lie in the 200 below the server's
 * RTP range (ZENTRALE_TEST_RTP_PORTS) so parallel runs do not meet.
 */
const BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 200;
const FIXTURE = fileURLToPath(new URL('./fixtures/pickup.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
/** acme in test/e2e/fixtures/pickup.yaml: 100, 201 (desk-a), 202 (desk-c), 203 (picker); 201-203 one group. */
const PASSWORDS: Record<string, string> = {
  '100': 'acme-Heiden-Pa55word',
  'desk-a': 'acme-DeskA-Pa55word',
  'desk-c': 'acme-DeskC-Pa55word',
  picker: 'acme-Paul-Pa55word',
};

const audioOf = (p: LinphonePhone) =>
  p
    .negotiatedPayloadTypes()
    .filter((f) => f.encoding !== 'telephone-event')
    .map((f) => f.encoding.toLowerCase());

describe('attended transfer and pickup with Opus phones', () => {
  let t: TestServer;
  let phones: Array<LinphonePhone | BaresipPhone> = [];
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE] });
  });
  afterEach(async () => {
    await Promise.all(phones.map((p) => p.stop()));
    phones = [];
  });
  after(async () => {
    await t?.stop();
  });

  function linphone(user: string, n: number, toneHz: number, codecs: string[], autoAnswer = false) {
    const p = new LinphonePhone({
      name: user,
      user,
      password: PASSWORDS[user]!,
      domain: DOMAIN,
      proxy: t.udp,
      sipPort: BASE + n,
      rtpPort: BASE + n + 10,
      toneHz,
      codecs,
      autoAnswer,
    });
    phones.push(p);
    return p;
  }

  function baresip(
    user: string,
    n: number,
    toneHz: number,
    codec: 'PCMU' | 'opus',
    answer: 'auto' | 'manual',
  ) {
    const opus = codec === 'opus';
    const p = new BaresipPhone({
      name: user,
      user,
      password: PASSWORDS[user]!,
      domain: DOMAIN,
      proxy: t.udp,
      basePort: BASE + n,
      toneHz,
      answer,
      audioCodecs: opus ? 'opus/48000/2' : 'PCMU',
      ...(opus ? { codecModules: ['opus'], toneFormat: { rate: 48000, channels: 2 } } : {}),
    });
    phones.push(p);
    return p;
  }

  it('attended transfer: an Opus Linphone consults an Opus baresip and transfers its Opus Linphone partner there; Opus end to end, both hear each other', async () => {
    const karin = linphone('100', 0, 1000, ['opus', 'PCMU']);
    const deskA = linphone('desk-a', 30, 440, ['opus', 'PCMU'], true);
    const deskC = baresip('desk-c', 60, 700, 'opus', 'auto');
    await Promise.all(phones.map((p) => p.start()));
    await Promise.all(phones.map((p) => p.waitRegistered()));
    deskC.clearRecordings();
    karin.call(`sip:201@${DOMAIN}`);
    await Promise.all([karin.waitConnected(15_000), deskA.waitConnected(15_000)]);
    await sleep(2000);
    // The consultation call: linphonec places a second call only while the first is held.
    const first = Number(/Call (\d+) with [^\n]*201@/.exec(karin.out)?.[1] ?? '1');
    const pausing = karin.out.length;
    karin.hold();
    await karin.waitOutput(/Call \d+ with .* is now paused/i, 10_000, pausing);
    await sleep(1500);
    const from = karin.out.length;
    const cEstablished = deskC.waitFor('CALL_ESTABLISHED', 15_000);
    karin.call(`sip:202@${DOMAIN}`);
    const consult = await karin.callIdTo(`202@${DOMAIN}`, 10_000, from);
    await cEstablished;
    await sleep(2500);
    const heldA = karin.out.length;
    karin.transferToCall(first, consult);
    await karin.waitEnded(15_000, heldA);
    await sleep(4000);
    const aHeard = await heardWithin(
      () => deskA.recentAudio(2.5),
      700,
      'desk-a after the transfer',
      0.5,
      6000,
    );
    assert.ok(aHeard > 0.5, `desk-a hears desk-c after the transfer (${aHeard.toFixed(2)})`);
    assert.equal(audioOf(deskA).at(-1), 'opus', `desk-a ends on Opus: ${JSON.stringify(audioOf(deskA))}`);
    assert.match(deskA.log(), /P-Asserted-Identity: [^\n]*sip:202@/i, 'desk-a was told its new party');
    const closed = deskC.waitFor('CALL_CLOSED', 10_000);
    deskA.hangup();
    await closed;
    await sleep(500);
    const cHeard = heardShare(deskC.lastRecording(), 440, 'desk-c after the transfer', 2);
    assert.ok(cHeard > 0.5, `desk-c hears desk-a after the transfer (${cHeard.toFixed(2)})`);
    for (const p of [karin, deskA])
      assert.deepEqual(p.unknownPayloadTypes(), [], 'Linphone received only negotiated payload types');
    assert.doesNotMatch(karin.log(), /SIP\/2\.0 481/, 'no crossing BYEs after the transfer');
    await assertBaseline(t, 8000);
  });

  it('*97 directed pickup: an Opus Linphone picks up an Opus Linphone caller ringing at baresip; Opus passed through both ways', async () => {
    const karin = linphone('100', 0, 1000, ['opus', 'PCMU']);
    const picker = linphone('picker', 100, 440, ['opus', 'PCMU']);
    const deskA = baresip('desk-a', 130, 700, 'PCMU', 'manual');
    await Promise.all(phones.map((p) => p.start()));
    await Promise.all(phones.map((p) => p.waitRegistered()));
    const ringing = deskA.waitFor('CALL_INCOMING', 15_000);
    karin.call(`sip:201@${DOMAIN}`);
    await ringing;
    const cancelled = deskA.waitFor('CALL_CLOSED', 15_000);
    picker.call(`sip:*97201@${DOMAIN}`);
    await Promise.all([karin.waitConnected(15_000), picker.waitConnected(15_000), cancelled]);
    await sleep(3500);
    assert.equal(audioOf(karin).at(-1), 'opus', JSON.stringify(audioOf(karin)));
    assert.equal(audioOf(picker).at(-1), 'opus', JSON.stringify(audioOf(picker)));
    const pHeard = await heardWithin(() => picker.recentAudio(2.5), 1000, 'the picker', 0.5, 6000);
    const kHeard = await heardWithin(() => karin.recentAudio(2.5), 440, 'the caller', 0.5, 6000);
    assert.ok(pHeard > 0.5, `the picker hears the caller (${pHeard.toFixed(2)})`);
    assert.ok(kHeard > 0.5, `the caller hears the picker (${kHeard.toFixed(2)})`);
    const ended = karin.out.length;
    picker.hangup();
    await karin.waitEnded(10_000, ended);
    for (const p of [karin, picker])
      assert.deepEqual(p.unknownPayloadTypes(), [], 'Linphone received only negotiated payload types');
    await assertBaseline(t, 8000);
  });

  it('*98 group pickup: a PCMU-only baresip picks up an Opus/G.722 Linphone caller; transcoded G.722 <-> PCMU, both hear each other', async () => {
    const karin = linphone('100', 0, 1000, ['opus', 'G722']);
    const deskC = baresip('desk-c', 60, 700, 'PCMU', 'manual');
    const picker = baresip('picker', 160, 440, 'PCMU', 'auto');
    await Promise.all(phones.map((p) => p.start()));
    await Promise.all(phones.map((p) => p.waitRegistered()));
    picker.clearRecordings();
    const ringing = deskC.waitFor('CALL_INCOMING', 15_000);
    karin.call(`sip:202@${DOMAIN}`);
    await ringing;
    const cancelled = deskC.waitFor('CALL_CLOSED', 15_000);
    const established = picker.waitFor('CALL_ESTABLISHED', 15_000);
    assert.equal((await picker.command('dial', `sip:*98@${DOMAIN}`)).ok, true);
    await Promise.all([karin.waitConnected(15_000), established, cancelled]);
    await sleep(3500);
    assert.equal(audioOf(karin).at(-1), 'g722', JSON.stringify(audioOf(karin)));
    const kHeard = await heardWithin(() => karin.recentAudio(2.5), 440, 'the caller', 0.5, 6000);
    assert.ok(kHeard > 0.5, `the caller hears the picker through the transcoder (${kHeard.toFixed(2)})`);
    const closed = picker.waitFor('CALL_CLOSED', 10_000);
    karin.hangup();
    await closed;
    await sleep(500);
    const pHeard = heardShare(picker.lastRecording(), 1000, 'the picker', 2);
    assert.ok(pHeard > 0.5, `the picker hears the caller (${pHeard.toFixed(2)})`);
    assert.deepEqual(karin.unknownPayloadTypes(), [], 'Linphone received only G.722');
    await assertBaseline(t, 8000);
  });
});
