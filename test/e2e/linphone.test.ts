import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BaresipPhone } from './support/baresip.js';
import { heardShare as share } from './support/heard.js';
import { LinphonePhone } from './support/linphone.js';
import { fileURLToPath } from 'node:url';
import {
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  assertBaseline,
  startTestServer,
  type TestServer,
} from './support/server.js';

/** Phone ports beside the server's RTP range (ZENTRALE_TEST_RTP_PORTS) so parallel checkouts do not collide. */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 400;

describe('Linphone (linphonec) as a real phone', () => {
  let t: TestServer;
  let lin: LinphonePhone | undefined;
  let bare: BaresipPhone | undefined;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await Promise.all([lin?.stop(), bare?.stop()]);
    await t?.stop();
  });

  it('Linphone with PCMU only calls baresip through the PBX, holds and resumes: both hear each other, no unknown payload type', async () => {
    lin = new LinphonePhone({
      name: 'pcmu',
      user: '100',
      password: DEMO_PASSWORDS['100']!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      sipPort: PORT_BASE,
      rtpPort: PORT_BASE + 10,
      toneHz: 1000,
      codecs: ['PCMU'],
    });
    bare = new BaresipPhone({
      name: 'lin-peer',
      user: '101',
      password: DEMO_PASSWORDS['101']!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: PORT_BASE + 40,
      toneHz: 440,
      answer: 'auto',
    });
    await Promise.all([lin.start(), bare.start()]);
    await Promise.all([lin.waitRegistered(), bare.waitRegistered()]);
    bare.clearRecordings();
    const established = bare.waitFor('CALL_ESTABLISHED', 15_000);
    lin.call(`sip:101@${DEMO_DOMAIN}`);
    await lin.waitConnected(15_000);
    await established;
    await sleep(3000);
    // Hold and resume from Linphone (re-INVITEs with a=sendonly, then a=sendrecv): audio must come back both ways.
    lin.hold();
    await sleep(2000);
    lin.resume();
    await sleep(3000);
    assert.match(lin.log(), /LinphoneCallPaused/, 'the hold was accepted');
    assert.match(lin.log(), /LinphoneCallResuming/, 'and resumed');
    const closed = bare.waitFor('CALL_CLOSED', 10_000);
    lin.hangup();
    await closed;
    await sleep(500);
    const bareHeard = share(bare.lastRecording(), 1000, 'baresip');
    const linHeard = share(lin.recording(), 440, 'Linphone');
    assert.ok(bareHeard > 0.5, `baresip hears Linphone's 1000 Hz tone (share ${bareHeard.toFixed(2)})`);
    assert.ok(linHeard > 0.5, `Linphone hears baresip's 440 Hz tone (share ${linHeard.toFixed(2)})`);
    // The last 2.5 s of each recording lie after the resume.
    const bareAfter = share(bare.lastRecording(), 1000, 'baresip after resume', 2.5);
    const linAfter = share(lin.recording(), 440, 'Linphone after resume', 2.5);
    assert.ok(bareAfter > 0.5, `baresip hears Linphone after resume (share ${bareAfter.toFixed(2)})`);
    assert.ok(linAfter > 0.5, `Linphone hears baresip after resume (share ${linAfter.toFixed(2)})`);
    const audio = lin.negotiatedPayloadTypes().filter((f) => f.encoding !== 'telephone-event');
    assert.ok(audio.length > 0, 'Linphone logged its negotiated formats');
    assert.ok(
      audio.every((f) => f.encoding === 'PCMU' && f.payloadType === 0),
      JSON.stringify(audio),
    );
    assert.deepEqual(lin.unknownPayloadTypes(), []);
    await assertBaseline(t, 8000);
  });
});

/** acme: 100 (Karin Heiden), 201 desk-a/desk-b, 202 desk-c (test/e2e/fixtures/calls.yaml). */
const CALLS = fileURLToPath(new URL('./fixtures/calls.yaml', import.meta.url));
const ACME = 'acme.zentrale.test';

describe('Linphone preferring Opus through hold, resume and blind transfer', () => {
  let t: TestServer;
  let lin: LinphonePhone | undefined;
  let deskA: LinphonePhone | undefined;
  let deskC: BaresipPhone | undefined;
  before(async () => {
    t = await startTestServer({ args: ['--provision', CALLS] });
  });
  after(async () => {
    await Promise.all([lin?.stop(), deskA?.stop(), deskC?.stop()]);
    await t?.stop();
  });

  it('Opus call: hold re-negotiates the partner to PCMU for music, resume back to Opus; a blind transfer to a PCMU-only phone narrows the transferee to PCMU; two-way audio after each step', async () => {
    lin = new LinphonePhone({
      name: 'opus',
      user: '100',
      password: 'acme-Heiden-Pa55word',
      domain: ACME,
      proxy: t.udp,
      sipPort: PORT_BASE + 100,
      rtpPort: PORT_BASE + 110,
      toneHz: 1000,
      codecs: ['opus', 'PCMU'],
    });
    deskA = new LinphonePhone({
      name: 'opus-desk-a',
      user: 'desk-a',
      password: 'acme-DeskA-Pa55word',
      domain: ACME,
      proxy: t.udp,
      sipPort: PORT_BASE + 140,
      rtpPort: PORT_BASE + 150,
      toneHz: 440,
      codecs: ['opus', 'PCMU'],
      autoAnswer: true,
    });
    deskC = new BaresipPhone({
      name: 'pcmu-desk-c',
      user: 'desk-c',
      password: 'acme-DeskC-Pa55word',
      domain: ACME,
      proxy: t.udp,
      basePort: PORT_BASE + 180,
      toneHz: 700,
      answer: 'auto',
      audioCodecs: 'PCMU',
    });
    await Promise.all([lin.start(), deskA.start(), deskC.start()]);
    await Promise.all([lin.waitRegistered(), deskA.waitRegistered(), deskC.waitRegistered()]);
    deskC.clearRecordings();
    lin.call(`sip:201@${ACME}`);
    await Promise.all([lin.waitConnected(15_000), deskA.waitConnected(15_000)]);
    await sleep(3000);
    const first = lin.negotiatedPayloadTypes().filter((f) => f.encoding !== 'telephone-event');
    assert.equal(first[0]?.encoding.toLowerCase(), 'opus', `Opus end to end: ${JSON.stringify(first)}`);
    lin.hold();
    await sleep(2500);
    lin.resume();
    await sleep(3500);
    assert.match(lin.log(), /LinphoneCallResuming/, 'the hold was accepted and resumed');
    const linAfter = share(lin.recording(), 440, 'Linphone after resume', 2.5);
    assert.ok(linAfter > 0.5, `Linphone hears desk-a after resume (share ${linAfter.toFixed(2)})`);
    // desk-a's recorder restarts its WAV on each re-INVITE (its header is only right once closed), so its side is
    // checked by what it negotiated: Opus, PCMU while music played, Opus again after the resume.
    const aFormats = deskA
      .negotiatedPayloadTypes()
      .filter((f) => f.encoding !== 'telephone-event')
      .map((f) => f.encoding.toLowerCase());
    const steps = aFormats.filter((e, k) => k === 0 || e !== aFormats[k - 1]);
    assert.deepEqual(steps.slice(0, 3), ['opus', 'pcmu', 'opus'], JSON.stringify(aFormats));
    assert.deepEqual(lin.unknownPayloadTypes(), [], 'Linphone received only payload types it negotiated');
    assert.deepEqual(deskA.unknownPayloadTypes(), [], 'and so did desk-a');

    // Blind transfer of desk-a (Opus) to 202 (desk-c, PCMU only).
    const closedLin = lin.out.length;
    const cEstablished = deskC.waitFor('CALL_ESTABLISHED', 20_000);
    lin.transfer(`sip:202@${ACME}`);
    await cEstablished;
    await lin.waitEnded(15_000, closedLin);
    await sleep(3500);
    assert.doesNotMatch(
      lin.log(),
      /481 Call Leg|481 Call\/Transaction/i,
      'no crossing BYEs after the transfer',
    );
    assert.deepEqual(
      deskA.unknownPayloadTypes(),
      [],
      'the transferee received only negotiated payload types',
    );
    const closed = deskC.waitFor('CALL_CLOSED', 10_000);
    deskA.hangup();
    await closed;
    await sleep(500);
    const aHeard = share(deskA.recording(), 700, 'desk-a after the transfer', 2.5);
    assert.ok(aHeard > 0.5, `desk-a hears desk-c (share ${aHeard.toFixed(2)})`);
    // baresip writes its recording out when the call closes.
    const cHeard = share(deskC.lastRecording(), 440, 'desk-c after the transfer', 2.5);
    assert.ok(cHeard > 0.5, `desk-c hears desk-a (share ${cHeard.toFixed(2)})`);
    await assertBaseline(t, 8000);
  });
});
