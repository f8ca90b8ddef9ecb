import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { ApiClient } from './support/api-client.js';
import { BaresipPhone } from './support/baresip.js';
import { inboundAudio, startBrowser, type TestBrowser } from './support/browser.js';
import { heardShare } from './support/heard.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  DEMO_WEB_PASSWORDS,
  LEAK_KEYS,
  startTestServer,
  type TestServer,
} from './support/server.js';
import { startRtpengine, type TestRtpengine } from './support/rtpengine.js';

/**
 * The browser softphone against the whole PBX: JsSIP in headless Chromium logs in over the API, registers over
 * SIP WebSocket with the per-session credentials of GET /me/webrtc, and calls a baresip desk phone and is called
 * by it; the PBX's WebRTC gateway bridges DTLS-SRTP to the relay's plain RTP. Once with the in-process gateway,
 * once with rtpengine behind the same seam (`--media rtpengine:…`, docs/media.md).
 */

const FIXTURE = fileURLToPath(new URL('./fixtures/webrtc-phone.ts', import.meta.url));
/** The client ports of this file: below the RTP range the run was given (see the brief for parallel runs). */
const RTP_START = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]);
const BARESIP_BASE = RTP_START - 500 + 40;

interface WebRtcCredentials {
  wsUrl: string;
  sipUri: string;
  username: string;
  password: string;
  realm: string;
}

type PagePhone = {
  register(c: WebRtcCredentials): Promise<void>;
  call(target: string, hz: number): Promise<number>;
  waitIncoming(): Promise<string>;
  answer(hz: number): Promise<void>;
  hold(): Promise<void>;
  unhold(): Promise<void>;
  hangup(): void;
  ended(): string[];
  stop(): Promise<void>;
};
/** The page's softphone (inside page.evaluate, where only the page's own globals exist). */
type W = { phone: PagePhone };

/** Waits until everything but `changed` is back at the baseline, then takes the counts as the new baseline. */
async function restingWith(t: TestServer, changed: string[]): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const now = t.server.counts();
    if (LEAK_KEYS.every((k) => changed.includes(k) || now[k] === t.baseline[k])) {
      t.baseline = now;
      return;
    }
    if (Date.now() > deadline) throw new Error(`not at rest: ${JSON.stringify(now)}`);
    await sleep(100);
  }
}

for (const backend of ['relay', 'rtpengine'] as const)
  describe(
    `WebRTC softphone (JsSIP in Chromium) through the PBX, media backend ${backend}`,
    { timeout: 120_000 },
    () => {
      let rtpe: TestRtpengine | undefined;
      let t: TestServer;
      let browser: TestBrowser;
      let desk: BaresipPhone;
      let api: ApiClient;
      let creds: WebRtcCredentials;

      let initialBaseline: Record<string, number>;
      before(async () => {
        if (backend === 'rtpengine') rtpe = await startRtpengine();
        t = await startTestServer(rtpe ? { args: ['--media', rtpe.media] } : {});
        initialBaseline = t.baseline;
        const bundle = await build({
          entryPoints: [FIXTURE],
          bundle: true,
          write: false,
          format: 'iife',
          platform: 'browser',
          target: 'chrome120',
          logLevel: 'silent',
        });
        browser = await startBrowser({
          '/phone.js': { type: 'text/javascript', body: bundle.outputFiles[0]!.text },
          '/': {
            type: 'text/html',
            body: '<!doctype html><title>phone</title><script src="/phone.js"></script>',
          },
        });
        await browser.page.goto(`${browser.origin}/`);
        desk = new BaresipPhone({
          name: 'desk',
          user: '101',
          password: DEMO_PASSWORDS['101']!,
          domain: DEMO_DOMAIN,
          proxy: t.udp,
          basePort: BARESIP_BASE,
          toneHz: 440,
          answer: 'auto',
        });
        await desk.start();
        await desk.waitRegistered();
        api = new ApiClient(t.server.httpPort);
        assert.equal(await api.login(DEMO_DOMAIN, '100', DEMO_WEB_PASSWORDS['100']!), 201);
      });
      after(async () => {
        await browser?.close();
        await desk?.stop();
        await t?.stop();
        await rtpe?.stop();
      });
      beforeEach(() => {
        desk.clearEvents();
        desk.clearRecordings();
      });
      afterEach(async () => {
        await assertBaseline(t, 8000);
        // sndfile names recordings by the second: keep calls at least a second apart.
        await sleep(1000);
      });

      it('GET /me/webrtc gives per-session credentials; the browser registers as a webrtc device of 100', async () => {
        const none = await api.request('GET', '/api/v1/me/webrtc', undefined, { token: null });
        assert.equal(none.status, 401);
        const r = await api.request('GET', '/api/v1/me/webrtc');
        assert.equal(r.status, 200);
        creds = r.json as unknown as WebRtcCredentials;
        assert.equal(creds.wsUrl, `ws://${t.ws}`);
        assert.match(
          creds.sipUri,
          new RegExp(`^sip:100-webrtc-[a-z0-9]+@${DEMO_DOMAIN.replace(/\./g, '\\.')}$`),
        );
        assert.equal(creds.realm, DEMO_DOMAIN);
        const again = await api.request('GET', '/api/v1/me/webrtc');
        assert.deepEqual(again.json, r.json, 'the same credentials for the same session');
        await browser.page.evaluate((c) => (window as unknown as W).phone.register(c), creds);
        const bindings = t.server.location.lookup('demo', creds.username);
        assert.equal(bindings.length, 1);
        assert.equal(bindings[0]?.flowProtocol, 'ws');
        // From here on a registered browser is the state at rest (its connection, its keep-alive timer).
        await restingWith(t, ['wsConnections', 'timers']);
        const me = await api.request('GET', '/api/v1/me');
        const devices = me.json['devices'] as Array<{ username: string; kind: string; registered: boolean }>;
        assert.ok(devices.some((d) => d.username === creds.username && d.kind === 'webrtc' && d.registered));
      });

      it('the browser calls the desk phone: DTLS-SRTP bridged to plain RTP, audio both ways, setup measured', async () => {
        const ms = await browser.page.evaluate(
          (target) => (window as unknown as W).phone.call(target, 1000),
          `sip:101@${DEMO_DOMAIN}`,
        );
        console.log(`call setup browser -> phone: ${ms.toFixed(0)} ms`);
        await desk.waitFor('CALL_ESTABLISHED');
        await sleep(2500);
        const heard = await inboundAudio(browser.page);
        assert.ok(heard.packetsReceived > 50, `browser got ${heard.packetsReceived} packets`);
        assert.ok(heard.totalAudioEnergy > 0, 'the browser hears the desk phone');
        assert.equal(t.server.counts()['webrtcLegs'], 1);
        const closed = desk.waitFor('CALL_CLOSED');
        await browser.page.evaluate(() => (window as unknown as W).phone.hangup());
        await closed;
        await sleep(300);
        const share = heardShare(desk.lastRecording(), 1000, 'desk phone');
        assert.ok(share > 0.5, `the desk phone hears the browser's 1000 Hz (share ${share.toFixed(3)})`);
        const freed = t.logs.filter((l) => l['msg'] === 'webrtc leg freed');
        const last = freed.at(-1) ?? {};
        assert.ok(Number(last['toBrowser']) > 50, `RTP to the browser: ${String(last['toBrowser'])}`);
        assert.ok(Number(last['fromBrowser']) > 50, `RTP from the browser: ${String(last['fromBrowser'])}`);
        assert.ok(ms < 5000, `setup took ${ms} ms`);
      });

      it('the desk phone calls 100: the browser rings, answers, audio both ways; its hangup sends BYE', async () => {
        const ringing = browser.page.evaluate(() => (window as unknown as W).phone.waitIncoming());
        assert.equal((await desk.command('dial', `sip:100@${DEMO_DOMAIN}`)).ok, true);
        assert.match(await ringing, /sip:101@/, 'caller id is the desk phone workplace');
        await browser.page.evaluate(() => (window as unknown as W).phone.answer(700));
        await desk.waitFor('CALL_ESTABLISHED');
        await sleep(2500);
        const heard = await inboundAudio(browser.page);
        assert.ok(heard.totalAudioEnergy > 0, 'the browser hears the desk phone');
        const closed = desk.waitFor('CALL_CLOSED');
        await browser.page.evaluate(() => (window as unknown as W).phone.hangup());
        await closed;
        await sleep(300);
        const share = heardShare(desk.lastRecording(), 700, 'desk phone');
        assert.ok(share > 0.5, `the desk phone hears the browser's 700 Hz (share ${share.toFixed(3)})`);
      });

      it('a closed WebSocket drops the browser binding (RFC 5626 flow)', async () => {
        assert.equal(t.server.location.lookup('demo', creds.username).length, 1);
        // Leaving the page cuts the socket without an un-REGISTER, as a closed tab does.
        await browser.page.goto('about:blank');
        const deadline = Date.now() + 3000;
        while (t.server.location.lookup('demo', creds.username).length > 0 && Date.now() < deadline)
          await sleep(50);
        assert.equal(t.server.location.lookup('demo', creds.username).length, 0);
        t.baseline = initialBaseline;
      });
    },
  );
