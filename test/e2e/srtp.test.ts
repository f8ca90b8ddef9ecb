import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BaresipPhone } from './support/baresip.js';
import { heardShare } from './support/heard.js';
import { runSipp } from './support/sipp.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';

/**
 * SDES-SRTP desk phones (RFC 4568, RFC 3711; src/media/srtp): a baresip phone that insists on SRTP calls a plain
 * one through the PBX and both hear each other, and is called by it (its 488 to our plain offer is retried with
 * RTP/SAVP, the next call offers RTP/SAVP at once); the answer to an SRTP offer is RTP/SAVP with a key of ours; an
 * SRTP suite we do not implement is refused with 488. Client ports lie in the 500 below the server's RTP range
 * (ZENTRALE_TEST_RTP_PORTS) so parallel runs do not meet.
 */
const BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;

describe('SRTP desk phones (SDES) through the relay', () => {
  let t: TestServer;
  let secure: BaresipPhone;
  let plain: BaresipPhone;
  before(async () => {
    t = await startTestServer();
    secure = new BaresipPhone({
      name: 'srtp',
      user: '100',
      password: DEMO_PASSWORDS['100']!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: BASE,
      toneHz: 1000,
      mediaEnc: 'srtp-mand',
    });
    plain = new BaresipPhone({
      name: 'plain',
      user: '101',
      password: DEMO_PASSWORDS['101']!,
      domain: DEMO_DOMAIN,
      proxy: t.udp,
      basePort: BASE + 40,
      toneHz: 440,
    });
    await Promise.all([secure.start(), plain.start()]);
    await Promise.all([secure.waitRegistered(), plain.waitRegistered()]);
  });
  after(async () => {
    await Promise.all([secure?.stop(), plain?.stop()]);
    await t?.stop();
  });
  beforeEach(() => {
    secure.clearEvents();
    plain.clearEvents();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
    await sleep(1000); // sndfile names recordings by the second
  });

  it('a phone with mandatory SRTP calls a plain RTP phone: audio both ways', async () => {
    secure.clearRecordings();
    plain.clearRecordings();
    const incoming = plain.waitFor('CALL_INCOMING');
    assert.equal((await secure.command('dial', `sip:101@${DEMO_DOMAIN}`)).ok, true);
    await incoming;
    const est = secure.waitFor('CALL_ESTABLISHED');
    await plain.command('accept');
    await est;
    await sleep(3000);
    assert.equal(t.server.counts().mediaBridges, 1);
    const closed = plain.waitFor('CALL_CLOSED');
    await secure.command('hangup');
    await closed;
    await sleep(300);
    const plainHears = heardShare(plain.lastRecording(), 1000, 'the plain phone');
    const secureHears = heardShare(secure.lastRecording(), 440, 'the SRTP phone');
    assert.ok(
      plainHears > 0.5,
      `the plain phone hears the SRTP phone's 1000 Hz (share ${plainHears.toFixed(3)})`,
    );
    assert.ok(
      secureHears > 0.5,
      `the SRTP phone hears the plain phone's 440 Hz (share ${secureHears.toFixed(3)})`,
    );
    assert.match(secure.log, /srtp/i, 'the SRTP phone ran its call with SRTP');
  });

  it('a plain phone calls the SRTP-only phone: its 488 to RTP/AVP is retried with RTP/SAVP, audio both ways', async () => {
    for (const round of [1, 2]) {
      secure.clearRecordings();
      plain.clearRecordings();
      const incoming = secure.waitFor('CALL_INCOMING');
      assert.equal((await plain.command('dial', `sip:100@${DEMO_DOMAIN}`)).ok, true);
      await incoming;
      const est = plain.waitFor('CALL_ESTABLISHED');
      await secure.command('accept');
      await est;
      await sleep(3000);
      const closed = secure.waitFor('CALL_CLOSED');
      await plain.command('hangup');
      await closed;
      await sleep(300);
      const secureHears = heardShare(secure.lastRecording(), 440, 'the SRTP callee');
      const plainHears = heardShare(plain.lastRecording(), 1000, 'the plain caller');
      assert.ok(
        secureHears > 0.5,
        `round ${round}: the SRTP callee hears 440 Hz (${secureHears.toFixed(3)})`,
      );
      assert.ok(
        plainHears > 0.5,
        `round ${round}: the plain caller hears 1000 Hz (${plainHears.toFixed(3)})`,
      );
      if (round === 1) await sleep(1000); // sndfile names recordings by the second
    }
    // The phone refused only the first call's plain offer; the second was offered RTP/SAVP at once.
    const retries = t.logs.filter((l) => l.event === 'call.offer.retry');
    assert.deepEqual(
      retries.map((l) => [l.status, l.profile]),
      [[488, 'RTP/SAVP']],
    );
  });

  it('an SRTP offer is answered RTP/SAVP with our own a=crypto; the plain callee gets plain RTP/AVP', async () => {
    const answered = plain.waitFor('CALL_INCOMING').then(() => plain.command('accept'));
    const run = await runSipp({
      scenario: 'device-call-srtp.xml',
      target: t.udp,
      localPort: BASE + 100,
      keys: { user: '102', domain: DEMO_DOMAIN, dial: '101' },
      extra: ['-au', '102', '-ap', 'demo-Krueger-Pa55word'],
      trace: true,
      timeoutS: 20,
    });
    await answered;
    assert.equal(run.code, 0, run.stderr);
    const ok = run.messages
      .split(/-{5,}/)
      .find((m) => /SIP\/2\.0 200 OK/.test(m) && /CSeq: 2 INVITE/i.test(m));
    assert.ok(ok, 'the 200 to the INVITE');
    assert.match(ok, /^m=audio \d+ RTP\/SAVP /m);
    const crypto = ok.match(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)/m);
    assert.ok(crypto, 'a=crypto with the offered tag and suite');
    assert.notEqual(crypto[1], 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz', 'our key, not the phone’s');
    await plain.waitFor('CALL_CLOSED');
  });

  it('an SRTP offer with only a suite we do not implement is refused with 488', async () => {
    const run = await runSipp({
      scenario: 'device-call-srtp-488.xml',
      target: t.udp,
      localPort: BASE + 102,
      keys: { user: '102', domain: DEMO_DOMAIN, dial: '101' },
      extra: ['-au', '102', '-ap', 'demo-Krueger-Pa55word'],
      timeoutS: 20,
    });
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
    assert.equal(plain.events.filter((e) => e.type === 'CALL_INCOMING').length, 0, 'the callee never rang');
  });
});
