import { afterEach, before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BaresipPhone } from './support/baresip.js';
import { LinphonePhone } from './support/linphone.js';
import { heardShare, heardWithin } from './support/heard.js';
import {
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  assertBaseline,
  startTestServer,
  type TestServer,
} from './support/server.js';

/**
 * Phones that share no codec, or only one the PBX cannot play: G.722 against PCMU (the relay transcodes, also
 * through hold and resume from either side), Opus against PCMU (not transcoded: refused with 488, never a silent
 * call), and baresip with its Opus module against an Opus Linphone (passed through; music on hold re-negotiates).
 * Client ports lie in the 500 below the server's RTP range (ZENTRALE_TEST_RTP_PORTS) so parallel runs do not meet.
 */
const BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;

const audioOf = (p: LinphonePhone) =>
  p.negotiatedPayloadTypes().filter((f) => f.encoding !== 'telephone-event' && f.encoding !== 'CN');

/** What `lin` hears of baresip's 440 Hz tone after `mark` (a recordMark), asked again for up to 4 s. */
const hearsBaresipSince = (lin: LinphonePhone, mark: number, what: string) =>
  heardWithin(() => lin.recentAudio(3.5, mark), 440, what, 0.5, 4000);

describe('phones with different codecs (Linphone and baresip)', () => {
  let t: TestServer;
  let phones: Array<LinphonePhone | BaresipPhone> = [];
  before(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await Promise.all(phones.map((p) => p.stop()));
    phones = [];
  });
  after(async () => {
    await t?.stop();
  });

  function linphone(name: string, user: string, n: number, toneHz: number, codecs: string[]): LinphonePhone {
    const p = new LinphonePhone({
      name,
      user,
      password: DEMO_PASSWORDS[user]!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      sipPort: BASE + n,
      rtpPort: BASE + n + 10,
      toneHz,
      codecs,
    });
    phones.push(p);
    return p;
  }

  /** baresip answering by itself with only `codec` ('PCMU', 'G722' or 'opus'). */
  function baresip(name: string, user: string, n: number, toneHz: number, codec: string): BaresipPhone {
    const opus = codec === 'opus';
    const p = new BaresipPhone({
      name,
      user,
      password: DEMO_PASSWORDS[user]!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: BASE + n,
      toneHz,
      answer: 'auto',
      // baresip names a codec by name/rate/channels in its account's codec list.
      audioCodecs: opus ? 'opus/48000/2' : codec,
      codecModules: codec === 'PCMU' ? [] : [codec.toLowerCase()],
      ...(opus ? { toneFormat: { rate: 48000, channels: 2 } } : {}),
    });
    phones.push(p);
    return p;
  }

  it('G.722-only Linphone and PCMU-only baresip: transcoded, both hear each other after hold/resume from either side', async () => {
    const lin = linphone('g722', '100', 0, 1000, ['G722']);
    const bare = baresip('pcmu', '101', 20, 440, 'PCMU');
    await Promise.all([lin.start(), bare.start()]);
    await Promise.all([lin.waitRegistered(), bare.waitRegistered()]);
    bare.clearRecordings();
    const established = bare.waitFor('CALL_ESTABLISHED', 15_000);
    lin.call(`sip:101@${DEMO_DOMAIN}`);
    await lin.waitConnected(15_000);
    await established;
    await sleep(2500);
    const early = await heardWithin(() => lin.recentAudio(2.5), 440, 'Linphone before any hold', 0.5, 4000);
    assert.ok(
      early > 0.5,
      `Linphone (G.722) hears baresip (PCMU) through the transcoder (${early.toFixed(2)})`,
    );
    // Hold and resume from Linphone: the PBX plays music to baresip in PCMU.
    lin.hold();
    await sleep(2000);
    const resumedAt = lin.recordMark();
    lin.resume();
    await sleep(3500);
    const afterLin = await hearsBaresipSince(lin, resumedAt, 'Linphone after its resume');
    assert.ok(afterLin > 0.5, `Linphone hears baresip after its own resume (${afterLin.toFixed(2)})`);
    // Hold and resume from baresip: the PBX plays music to Linphone in G.722.
    assert.equal((await bare.command('hold')).ok, true);
    await sleep(2000);
    const bareResumedAt = lin.recordMark();
    assert.equal((await bare.command('resume')).ok, true);
    await sleep(3500);
    const afterBare = await hearsBaresipSince(lin, bareResumedAt, 'Linphone after baresip resumed');
    assert.ok(afterBare > 0.5, `Linphone hears baresip after baresip resumed (${afterBare.toFixed(2)})`);
    const closed = bare.waitFor('CALL_CLOSED', 10_000);
    lin.hangup();
    await closed;
    await sleep(500);
    const bareHeard = heardShare(bare.lastRecording(), 1000, 'baresip after both resumes', 2);
    assert.ok(bareHeard > 0.5, `baresip hears Linphone at the end (${bareHeard.toFixed(2)})`);
    const audio = audioOf(lin);
    assert.ok(audio.length > 0, 'Linphone logged its negotiated formats');
    assert.ok(
      audio.every((f) => f.encoding === 'G722' && f.payloadType === 9),
      JSON.stringify(audio),
    );
    assert.deepEqual(lin.unknownPayloadTypes(), [], 'Linphone received only G.722 (payload 9)');
    await assertBaseline(t, 8000);
  });

  it('Opus-only and PCMU-only phones share nothing the relay carries: 488 in both directions, no silent call', async () => {
    const lin = linphone('opus-only', '100', 50, 1000, ['opus']);
    const bare = baresip('pcmu-only', '101', 70, 440, 'PCMU');
    await Promise.all([lin.start(), bare.start()]);
    await Promise.all([lin.waitRegistered(), bare.waitRegistered()]);
    // Linphone calls: baresip answers one of the formats the PBX appended (PCMU), which the Opus-only caller
    // cannot be transcoded to: the caller gets 488, baresip a BYE.
    const from = lin.out.length;
    const bareClosed = bare.waitFor('CALL_CLOSED', 15_000);
    lin.call(`sip:101@${DEMO_DOMAIN}`);
    const status = await lin.waitFailed(15_000, from);
    assert.equal(status, 488, 'Linphone got 488 Not Acceptable Here');
    await bareClosed;
    // baresip calls: Linphone finds none of its codecs in the offer and refuses; baresip sees the 488.
    const closed = bare.waitFor('CALL_CLOSED', 15_000);
    assert.equal((await bare.command('dial', `sip:100@${DEMO_DOMAIN}`)).ok, true);
    const ev = await closed;
    assert.match(ev.param ?? '', /488/, `baresip's call closed with 488: ${JSON.stringify(ev)}`);
    assert.doesNotMatch(lin.out, /Call \d+ with .* connected/i, 'Linphone never had a connected call');
    await assertBaseline(t, 8000);
  });

  it('baresip with its Opus module and an Opus Linphone: Opus passed through; both hear each other after hold/resume', async () => {
    const lin = linphone('opus-lin', '100', 0, 1000, ['opus', 'PCMU']);
    const bare = baresip('opus-bare', '101', 20, 440, 'opus');
    await Promise.all([lin.start(), bare.start()]);
    await Promise.all([lin.waitRegistered(), bare.waitRegistered()]);
    bare.clearRecordings();
    const established = bare.waitFor('CALL_ESTABLISHED', 15_000);
    lin.call(`sip:101@${DEMO_DOMAIN}`);
    await lin.waitConnected(15_000);
    await established;
    await sleep(2500);
    assert.equal(audioOf(lin)[0]?.encoding.toLowerCase(), 'opus', JSON.stringify(audioOf(lin)));
    const early = await heardWithin(() => lin.recentAudio(2.5), 440, 'Linphone before the hold', 0.5, 4000);
    assert.ok(early > 0.5, `Linphone hears baresip over Opus (${early.toFixed(2)})`);
    // baresip holds: the music needs PCMU, so Linphone is re-offered PCMU, and Opus again on resume.
    assert.equal((await bare.command('hold')).ok, true);
    await sleep(2500);
    const resumedAt = lin.recordMark();
    assert.equal((await bare.command('resume')).ok, true);
    await sleep(3500);
    const steps = audioOf(lin)
      .map((f) => f.encoding.toLowerCase())
      .filter((e, k, all) => k === 0 || e !== all[k - 1]);
    assert.deepEqual(steps.slice(0, 3), ['opus', 'pcmu', 'opus'], JSON.stringify(audioOf(lin)));
    const afterResume = await hearsBaresipSince(lin, resumedAt, 'Linphone after the resume');
    assert.ok(afterResume > 0.5, `Linphone hears baresip after the resume (${afterResume.toFixed(2)})`);
    const closed = bare.waitFor('CALL_CLOSED', 10_000);
    lin.hangup();
    await closed;
    await sleep(500);
    const bareHeard = heardShare(bare.lastRecording(), 1000, 'baresip after the resume', 2);
    assert.ok(bareHeard > 0.5, `baresip hears Linphone over Opus after the resume (${bareHeard.toFixed(2)})`);
    assert.deepEqual(lin.unknownPayloadTypes(), [], 'Linphone received only payload types it negotiated');
    await assertBaseline(t, 8000);
  });
});
