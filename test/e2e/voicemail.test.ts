import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { readWav as readPcm } from '../../src/media/audio/wav.js';
import { isSilent } from '../../src/media/audio/level.js';
import { toneRatio as ratio } from '../../src/media/audio/goertzel.js';
import { BaresipPhone, toneRatio } from './support/baresip.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';
import { runSipp, type SippRun } from './support/sipp.js';
import { attachment, deadPort, startSmtp } from './support/smtp.js';
import { verifyPin } from '../../src/core/provisioning/pin.js';

/**
 * Voicemail with real phones: baresip callers leave messages (a 1 kHz tone as their voice) by `*86` + extension,
 * the owner listens through the voice portal (`*62`, DTMF as RFC 4733 from baresip), a sipp phone's MWI lamp
 * follows (RFC 3842), mails go to the test's own SMTP server.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/voicemail.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
// Client ports from this suite's range (ZENTRALE_TEST_RTP_PORTS start - 500), so parallel runs do not collide.
const RTP_START = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]);
const CLIENT_BASE = RTP_START - 500;

const PASSWORDS: Record<string, string> = {
  '100': 'acme-Heiden-Pa55word',
  '101': 'acme-Brandt-Pa55word',
  '103': 'acme-Roth-Pa55word',
};

let phones = 0;
function phone(t: TestServer, user: string, toneHz: number, o: { domain?: string; password?: string } = {}) {
  const n = phones++;
  return new BaresipPhone({
    name: `vm-${user}-${n}`,
    user,
    password: o.password ?? PASSWORDS[user]!,
    domain: o.domain ?? DOMAIN,
    proxy: t.udp,
    basePort: CLIENT_BASE + (n % 10) * 40,
    toneHz,
  });
}

async function started(p: BaresipPhone): Promise<BaresipPhone> {
  await p.start();
  await p.waitRegistered();
  return p;
}

function logged(t: TestServer, event: string, since = 0): Array<Record<string, unknown>> {
  return t.logs.slice(since).filter((l) => l.event === event);
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

/** A caller leaves a message of `talkMs` by dialling *86 + mailbox, then hangs up (or presses # with `hash`). */
async function leaveMessage(
  t: TestServer,
  caller: BaresipPhone,
  mailbox: string,
  talkMs: number,
  o: { hash?: boolean; domain?: string } = {},
): Promise<void> {
  const since = t.logs.length;
  caller.clearEvents();
  const est = caller.waitFor('CALL_ESTABLISHED');
  assert.equal((await caller.command('dial', `sip:*86${mailbox}@${o.domain ?? DOMAIN}`)).ok, true);
  await est;
  await until(() => logged(t, 'voicemail.recording', since).length > 0, 20_000, 'recording starts');
  await sleep(talkMs);
  const closed = caller.waitFor('CALL_CLOSED', 15_000);
  if (o.hash) await caller.command('sndcode', '#');
  else await caller.command('hangup');
  await closed;
}

function ok(r: SippRun, what: string): void {
  assert.equal(r.code, 0, `${what}: sipp failed\n${r.stderr.slice(-3000)}`);
}

describe('voicemail with real phones', () => {
  let t: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  before(async () => {
    smtp = await startSmtp();
    // The SMTP server is unreachable at first: messages must be kept anyway and the mail sent later.
    t = await startTestServer({
      args: ['--provision', FIXTURE, '--smtp', `smtp://127.0.0.1:${await deadPort()}`],
    });
  });
  after(async () => {
    await t?.stop();
    await smtp?.close();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
  });

  it('a caller leaves a message: right length, not silence; an unreachable SMTP server loses nothing; after a restart the mail goes out with the WAV', async () => {
    const caller = await started(phone(t, '101', 1000));
    try {
      await leaveMessage(t, caller, '100', 3000);
    } finally {
      await caller.stop();
    }
    const store = t.server.store.voicemail;
    await until(async () => (await store.messages('acme', '100')).length === 1, 5000, 'message stored');
    const [m] = await store.messages('acme', '100');
    assert.equal(m!.callerNumber, '101');
    assert.equal(m!.folder, 'new');
    assert.ok(m!.durationMs >= 2500 && m!.durationMs <= 3800, `about 3 s recorded (${m!.durationMs} ms)`);
    const file = join(t.dataDir, 'voicemail', 'acme', '100', `${m!.id}.wav`);
    const audio = readPcm(await import('node:fs').then((fs) => fs.readFileSync(file)));
    assert.equal(isSilent(audio), false);
    const r = ratio(audio.samples.subarray(4000, audio.samples.length - 4000), 1000);
    assert.ok(r > 0.5, `the caller's 1 kHz tone is in the recording (share ${r.toFixed(2)})`);
    // The mail failed and is pending; the message itself is there.
    await until(() => logged(t, 'voicemail.email.failed').length > 0, 15_000, 'mail failure logged');
    assert.equal((await store.messages('acme', '100'))[0]!.emailState, 'pending');

    await t.restart({ smtp: `smtp://127.0.0.1:${smtp.port}` });
    await until(() => smtp.mails.length === 1, 15_000, 'mail received after restart');
    const mail = smtp.mails[0]!;
    assert.deepEqual(mail.to, ['karin@acme.example']);
    assert.match(mail.raw, /Subject: Voicemail from Jonas Brandt <101> \(\d s\)/);
    const wav = attachment(mail.raw);
    assert.ok(wav, 'a WAV attachment');
    assert.match(wav.filename, /\.wav$/);
    assert.deepEqual(readPcm(wav.data).samples.length, audio.samples.length, 'the message, whole');
    const after = t.server.store.voicemail; // the restarted server's store
    await until(async () => (await after.messages('acme', '100'))[0]!.emailState === 'sent', 5000, 'sent');
    assert.equal(existsSync(file), true, 'the message survived the restart');
  });

  it('the lamp follows (yes, heard: no, deleted: 0/0); the portal plays the message and deletes it', async () => {
    const lamp = runSipp({
      scenario: 'mwi-lamp.xml',
      target: t.udp,
      keys: { user: '100-desk', domain: DOMAIN, mailbox: '100' },
      localPort: CLIENT_BASE + 450,
      extra: ['-au', '100-desk', '-ap', 'acme-HeidenDesk-Pa55word'],
      timeoutS: 60,
    });
    await until(() => t.server.counts().mwiSubscriptions === 1, 5000, 'subscribed');
    const owner = await started(phone(t, '100', 440));
    try {
      owner.clearRecordings();
      const est = owner.waitFor('CALL_ESTABLISHED');
      assert.equal((await owner.command('dial', `sip:*62@${DOMAIN}`)).ok, true);
      await est;
      await sleep(500);
      await owner.command('sndcode', '583914#');
      await until(() => logged(t, 'voicemail.portal.login').length > 0, 10_000, 'PIN accepted');
      await owner.command('sndcode', '1');
      const store = t.server.store.voicemail;
      await until(
        async () => (await store.messages('acme', '100'))[0]?.folder === 'saved',
        30_000,
        'message heard',
      );
      await sleep(300);
      await owner.command('sndcode', '3');
      await until(async () => (await store.messages('acme', '100')).length === 0, 10_000, 'message deleted');
      const closed = owner.waitFor('CALL_CLOSED', 10_000);
      await owner.command('hangup');
      await closed;
      await sleep(300);
      const rec = owner.lastRecording();
      assert.ok(rec, 'owner recording');
      // Somewhere in what the owner heard is the caller's 1 kHz tone (the message), a second of it at least.
      let best = 0;
      for (let off = 0; off + rec.rate <= rec.samples.length; off += rec.rate / 4)
        best = Math.max(best, toneRatio(rec.samples.subarray(off, off + rec.rate), rec.rate, 1000));
      assert.ok(best > 0.5, `the owner heard the message (best 1 kHz share ${best.toFixed(2)})`);
      assert.equal(existsSync(join(t.dataDir, 'voicemail', 'acme', '100')), true);
    } finally {
      await owner.stop();
    }
    ok(await lamp, 'mwi lamp');
  });

  it('the own extension from an own device reaches the portal; three wrong PINs end the call and count as authentication failures', async () => {
    const since = t.logs.length;
    const throttled = t.server.counts().throttleEntries!;
    const owner = await started(phone(t, '100', 440));
    try {
      const est = owner.waitFor('CALL_ESTABLISHED');
      await owner.command('dial', `sip:100@${DOMAIN}`);
      await est;
      const closed = owner.waitFor('CALL_CLOSED', 30_000);
      await sleep(500);
      await owner.command('sndcode', '111111#222222#333333#');
      await closed;
    } finally {
      await owner.stop();
    }
    assert.equal(logged(t, 'voicemail.portal.wrong-pin', since).length, 3);
    assert.equal(logged(t, 'voicemail.portal.login', since).length, 0);
    assert.ok(
      t.server.counts().throttleEntries! > throttled,
      'the failures are counted by the security rules',
    );
    assert.ok(!t.logs.slice(since).some((l) => JSON.stringify(l).includes('222222')), 'no PIN in the logs');
  });

  it('# ends a message early; a silent caller leaves nothing; a full mailbox records nothing', async () => {
    const caller = await started(phone(t, '101', 1000));
    const silent = await started(phone(t, '103', 0));
    try {
      await leaveMessage(t, caller, '102', 1500, { hash: true });
      const store = t.server.store.voicemail;
      await until(async () => (await store.messages('acme', '102')).length === 1, 5000, 'message kept');
      const [m] = await store.messages('acme', '102');
      assert.ok(m!.durationMs >= 1000 && m!.durationMs <= 2300, `ended by # (${m!.durationMs} ms)`);
      assert.equal(m!.emailState, 'none', 'no e-mail wanted for 102');
      // 102 holds one message at most: the next caller hears "full" and nothing is recorded.
      const since = t.logs.length;
      caller.clearEvents();
      const closed = caller.waitFor('CALL_CLOSED', 20_000);
      await caller.command('dial', `sip:*86102@${DOMAIN}`);
      await closed;
      assert.equal(logged(t, 'voicemail.full', since).length, 1);
      assert.equal((await store.messages('acme', '102')).length, 1);
      // Silence is discarded.
      await leaveMessage(t, silent, '100', 2000);
      await until(() => logged(t, 'voicemail.discarded', since).length === 1, 5000, 'discarded');
      assert.equal((await store.messages('acme', '100')).length, 0);
    } finally {
      await Promise.all([caller.stop(), silent.stop()]);
    }
  });

  it('tenants never reach each other: other/100 gets its own message, acme sees none; no mailbox is 404; another workplace mailbox 403', async () => {
    const foreign = await started(
      phone(t, '100', 1000, { domain: 'other.zentrale.test', password: 'other-Lorenz-Pa55word' }),
    );
    try {
      await leaveMessage(t, foreign, '100', 1500, { domain: 'other.zentrale.test' });
    } finally {
      await foreign.stop();
    }
    const store = t.server.store.voicemail;
    await until(async () => (await store.messages('other', '100')).length === 1, 5000, 'other message');
    assert.equal((await store.messages('acme', '100')).length, 0);
    assert.equal(existsSync(join(t.dataDir, 'voicemail', 'other', '100')), true);
    ok(
      await runSipp({
        scenario: 'mwi-refused-403.xml',
        target: t.udp,
        keys: { user: '100-desk', domain: DOMAIN, mailbox: '101' },
        localPort: CLIENT_BASE + 451,
        extra: ['-au', '100-desk', '-ap', 'acme-HeidenDesk-Pa55word'],
        timeoutS: 10,
      }),
      'mwi 403',
    );
    ok(
      await runSipp({
        scenario: 'mwi-refused-404.xml',
        target: t.udp,
        keys: { user: '103', domain: DOMAIN, mailbox: '103' },
        localPort: CLIENT_BASE + 452,
        extra: ['-au', '103', '-ap', 'acme-Roth-Pa55word'],
        timeoutS: 10,
      }),
      'mwi 404',
    );
  });

  it('a device configured for it gets an unsolicited NOTIFY when a message arrives', async () => {
    const port = CLIENT_BASE + 453;
    const reg = (expires: number) =>
      runSipp({
        scenario: 'register-auth.xml',
        target: t.udp,
        keys: { user: '100-old', domain: DOMAIN, expires },
        localPort: port,
        extra: ['-au', '100-old', '-ap', 'acme-HeidenOld-Pa55word'],
        timeoutS: 10,
      });
    ok(await reg(300), 'register 100-old');
    try {
      const notified = runSipp({
        scenario: 'mwi-unsolicited.xml',
        target: t.udp,
        localPort: port,
        timeoutS: 40,
      });
      await sleep(300);
      const caller = await started(phone(t, '101', 1000));
      try {
        await leaveMessage(t, caller, '100', 1500);
      } finally {
        await caller.stop();
      }
      ok(await notified, 'unsolicited NOTIFY');
    } finally {
      ok(await reg(0), 'unregister 100-old');
    }
  });

  it('the owner records a greeting that callers then hear, and changes the PIN (a weak one is refused)', async () => {
    const since = t.logs.length;
    const owner = await started(phone(t, '100', 440));
    const caller = await started(phone(t, '101', 1000));
    try {
      const est = owner.waitFor('CALL_ESTABLISHED');
      await owner.command('dial', `sip:*62@${DOMAIN}`);
      await est;
      await sleep(500);
      await owner.command('sndcode', '583914#');
      await until(() => logged(t, 'voicemail.portal.login', since).length > 0, 10_000, 'PIN accepted');
      await owner.command('sndcode', '3');
      await until(
        () => logged(t, 'voicemail.greeting.recording', since).length > 0,
        20_000,
        'greeting recording',
      );
      await sleep(2500);
      await owner.command('sndcode', '#');
      await until(() => logged(t, 'voicemail.greeting', since).length > 0, 10_000, 'greeting kept');
      await owner.command('sndcode', '4123456#'); // too weak: refused
      await sleep(1500);
      await owner.command('sndcode', '4');
      await sleep(300);
      await owner.command('sndcode', '736150#');
      await until(() => logged(t, 'voicemail.pin-changed', since).length === 1, 20_000, 'PIN changed');
      const closed = owner.waitFor('CALL_CLOSED', 10_000);
      await owner.command('hangup');
      await closed;
      const box = (await t.server.store.voicemail.mailbox('acme', '100'))!;
      assert.equal(box.greeting, 'own');
      assert.equal(await verifyPin('736150', box.pinHash), true);

      // A caller now hears the owner's greeting (the owner's phone sent 440 Hz) instead of the spoken default.
      caller.clearRecordings();
      await leaveMessage(t, caller, '100', 1500);
      await sleep(300);
      const rec = caller.lastRecording();
      assert.ok(rec, 'caller recording');
      let best = 0;
      for (let off = 0; off + rec.rate <= rec.samples.length; off += rec.rate / 4)
        best = Math.max(best, toneRatio(rec.samples.subarray(off, off + rec.rate), rec.rate, 440));
      assert.ok(best > 0.5, `the caller heard the recorded greeting (best 440 Hz share ${best.toFixed(2)})`);
    } finally {
      await Promise.all([owner.stop(), caller.stop()]);
    }
  });

  it("deleting a workplace deletes its mailbox, messages and files; the other tenant's stay", async () => {
    const store = t.server.store.voicemail;
    assert.equal((await store.messages('other', '100')).length, 1, 'left by the cross-tenant test');
    const acmeBefore = (await store.messages('acme', '100')).length;
    assert.ok(acmeBefore > 0);
    await t.server.provision(
      fileURLToPath(new URL('./fixtures/voicemail-other-removed.yaml', import.meta.url)),
    );
    assert.equal(await store.mailbox('other', '100'), undefined);
    assert.equal((await store.messages('other', '100')).length, 0);
    await until(() => !existsSync(join(t.dataDir, 'voicemail', 'other', '100')), 5000, 'files removed');
    assert.equal((await store.messages('acme', '100')).length, acmeBefore);
    assert.equal(existsSync(join(t.dataDir, 'voicemail', 'acme', '100')), true);
  });

  it('a ring plan that diverts to voicemail (the divert service) leaves the message in the mailbox it names', async () => {
    // A stand-in for call forwarding: calls from 101 to 100 go to 100's mailbox at once.
    t.server.calls.addTerminatingService({
      name: 'test-forward-to-voicemail',
      plan: async (req) =>
        req.caller.workplace === '101' && req.callee.workplace === '100'
          ? {
              first: () => ({ kind: 'service', service: 'voicemail', number: '100', diversions: [] }),
              next: () => undefined,
            }
          : undefined,
    });
    const store = t.server.store.voicemail;
    const before = (await store.messages('acme', '100')).length;
    const caller = await started(phone(t, '101', 1000));
    try {
      const since = t.logs.length;
      caller.clearEvents();
      const est = caller.waitFor('CALL_ESTABLISHED');
      await caller.command('dial', `sip:100@${DOMAIN}`);
      await est;
      await until(() => logged(t, 'voicemail.recording', since).length > 0, 20_000, 'recording starts');
      await sleep(1500);
      const closed = caller.waitFor('CALL_CLOSED', 15_000);
      await caller.command('hangup');
      await closed;
    } finally {
      await caller.stop();
    }
    await until(
      async () => (await store.messages('acme', '100')).length === before + 1,
      5000,
      'message kept',
    );
    assert.equal((await store.messages('acme', '100')).at(-1)!.callerNumber, '101');
  });
});
