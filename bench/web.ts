// Budget of the browser desktop client (web/):
//
//   npm run bench:web              all three figures (about 30-60 s; builds web/ first)
//   npm run bench:web -- --runs 9  more samples for the render time
//
// 1. Initial JavaScript, gzip: what index.html loads before anything else (its module script and the chunks it
//    preloads), gzipped at level 9 as a server or CDN would send it. Budget 150 kB. Also printed: the logged-in
//    main window's chunks, and the softphone chunk (JsSIP), which is loaded after login and only where the PBX
//    offers the browser phone.
// 2. First render of the logged-in view: a stored session (as after a reload) and a cold page load in headless
//    Chromium against a whole Zentrale on loopback; the time from navigation start to the main window's
//    monitored-contacts list being in the DOM (performance.now() in the page). Median of the runs. Budget 1 s.
// 3. Call setup browser → phone: the browser softphone calls a phone that answers at once (the repository's
//    SIP test phone). Per call and as the median, the phases: click → microphone → offer → INVITE on the
//    WebSocket (the browser), INVITE → INVITE at the phone (the PBX and its WebRTC gateway), → 200 OK back in
//    the browser, → session confirmed (ACK), → media connected (ICE + DTLS done: audio can flow). The budget
//    (500 ms) is judged on INVITE → 200 OK and on INVITE → media connected; click → connected is printed too.
//    The first call of a page also opens the microphone. Skipped (and said so) when the server offers no
//    browser phone (`/api/v1/me/webrtc` 404/501).
//
// Bounded: every wait has a timeout; the browser, the phone and the server are closed on exit.
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { parseServeOptions } from '../src/cli/options.js';
import { startServer } from '../src/cli/server.js';
import { createLogger } from '../src/util/log.js';
import { TestPhone } from '../test/support/test-phone.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'dist', 'web');
const DEMO = join(ROOT, 'examples', 'demo.yaml');
const DOMAIN = 'demo.zentrale.test';

const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, help: { type: 'boolean', default: false } },
});
if (flags.help) {
  console.log('usage: npm run bench:web -- [--runs N]   (N page loads and calls, default 5)');
  process.exit(0);
}
const runs = Number(flags.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error('--runs must be 1..50');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const kb = (n: number): string => `${(n / 1024).toFixed(1)} kB`;
const gz = (file: string): number => gzipSync(readFileSync(join(WEB, file)), { level: 9 }).length;

// ---- 1. sizes -----------------------------------------------------------------------------------------------
const { build } = await import('vite');
await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
const html = readFileSync(join(WEB, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
const initialGz = initial.reduce((n, f) => n + gz(f), 0);
const assets = readdirSync(join(WEB, 'assets')).filter((f) => f.endsWith('.js'));
const phoneChunk = assets.find((f) => f.startsWith('jssip-phone'));

/** Wall-clock times (ms) of one call's phases, from the page and the phone. */
interface Marks {
  click: number;
  media?: number;
  offer?: number;
  gathered?: number;
  invite?: number;
  phone?: number | undefined;
  ok?: number;
  confirmed?: number;
  connected?: number;
}

/**
 * Marks the phases of a call in the page: the microphone granted, the offer made, ICE gathering complete, the
 * INVITE on the WebSocket, its 200 OK back, the peer connection connected (ICE + DTLS: audio can flow).
 */
const PHASE_MARKS = `(() => {
  const mark = (k) => { const m = window.__marks; if (m && m[k] === undefined) m[k] = Date.now(); };
  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => gum(c).then((s) => { mark('media'); return s; });
  const Pc = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Pc {
    constructor(c) {
      super(c);
      this.addEventListener('icegatheringstatechange', () => {
        if (this.iceGatheringState === 'complete') mark('gathered');
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') mark('connected');
      });
    }
    async createOffer(o) { const r = await super.createOffer(o); mark('offer'); return r; }
  };
  const Ws = window.WebSocket;
  window.WebSocket = class extends Ws {
    constructor(u, p) {
      super(u, p);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string' && /^SIP\\/2\\.0 200 /.test(e.data) && /^CSeq: *[0-9]+ INVITE/im.test(e.data)) mark('ok');
      });
    }
    send(d) {
      if (typeof d === 'string' && d.startsWith('INVITE ')) mark('invite');
      return super.send(d);
    }
  };
})();`;

// ---- 2. and 3. in a browser against a running PBX -----------------------------------------------------------
const data = mkdtempSync(join(tmpdir(), 'zentrale-bench-web-'));
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const server = await startServer({
  ...parseServeOptions(
    ['--data', data, '--sip', 'udp:127.0.0.1:0,ws:127.0.0.1:0', '--http', '127.0.0.1:0', '--provision', DEMO],
    {},
  ),
  logger: createLogger({ level: 'warn', destination: quiet }),
});
const base = `http://127.0.0.1:${server.httpPort}`;
let browser: Browser | undefined;
let phone: TestPhone | undefined;
const renders: number[] = [];
const samples: Marks[] = [];
let loggedInChunks = 0;
let callNote = '';
try {
  const login = await fetch(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ domain: DOMAIN, extension: '100', password: 'web-Heiden-Pa55word' }),
  });
  const { token, expiresAt } = (await login.json()) as { token: string; expiresAt: string };
  const session = JSON.stringify({ token, expiresAt, domain: DOMAIN, extension: '100' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });

  for (let i = 0; i < runs; i++) {
    // A new profile each time: nothing cached, as on a first visit; the session is stored as after a login.
    const ctx = await browser.newContext({ baseURL: base });
    await ctx.addInitScript(
      ([s]) => {
        localStorage.setItem('zentrale.session', s!);
        localStorage.setItem('zentrale.browserPhone', 'false');
      },
      [session],
    );
    const page = await ctx.newPage();
    const js = new Set<string>();
    page.on('response', (r) => {
      if (r.url().endsWith('.js')) js.add(new URL(r.url()).pathname.slice(1));
    });
    await page.goto('/');
    await page.waitForSelector('[data-testid=blf-entry]', { timeout: 10_000 });
    renders.push(await page.evaluate(() => performance.now()));
    loggedInChunks = [...js].reduce((n, f) => n + gz(f), 0);
    await ctx.close();
  }

  const offer = await fetch(`${base}/api/v1/me/webrtc`, { headers: { authorization: `Bearer ${token}` } });
  if (!offer.ok) callNote = `skipped: the server offers no browser phone (/api/v1/me/webrtc ${offer.status})`;
  else {
    const udp = server.sip.transport.listening().find((l) => l.protocol === 'udp')!;
    phone = await TestPhone.open({
      user: '101',
      password: 'demo-Brandt-Pa55word',
      domain: DOMAIN,
      server: `${udp.address}:${udp.port}`,
    });
    phone.behaviour = { answerAfterMs: 0 };
    if ((await phone.register()).status !== 200) throw new Error('the test phone could not register');
    // When the phone got each INVITE (same machine, same wall clock as the page's marks).
    const atPhone: number[] = [];
    const push = phone.invites.push.bind(phone.invites);
    phone.invites.push = (...x) => {
      atPhone.push(Date.now());
      return push(...x);
    };
    const ctx = await browser.newContext({ baseURL: base });
    await ctx.addInitScript(([s]) => localStorage.setItem('zentrale.session', s!), [session]);
    await ctx.addInitScript({ content: PHASE_MARKS });
    const page = await ctx.newPage();
    await page.goto('/');
    await page.waitForSelector('[data-testid=soft-state][data-state=registered]', { timeout: 15_000 });
    for (let i = 0; i < runs; i++) {
      await page.fill('input[name=dial]', '101');
      // A string, not a function: tsx would wrap a function's inner arrows in a helper the page does not have.
      const marks = (await page.evaluate(`new Promise((resolve, reject) => {
        window.__marks = { click: Date.now() };
        const seen = () => document.querySelector('[data-testid=soft-call][data-state=talking]');
        const done = () => window.__marks.confirmed && window.__marks.connected;
        const obs = new MutationObserver(() => {
          if (seen()) window.__marks.confirmed ??= Date.now();
        });
        const poll = setInterval(() => {
          if (!done()) return;
          clearInterval(poll);
          obs.disconnect();
          resolve(window.__marks);
        }, 5);
        obs.observe(document.body, { subtree: true, childList: true, attributes: true });
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
        document.querySelector('[data-testid=dialer] button[type=submit]').click();
      })`)) as Marks;
      marks.phone = atPhone[i];
      samples.push(marks);
      await page.click('[data-testid=soft-hangup]');
      await page.waitForFunction(() => !document.querySelector('[data-testid=soft-call]'), undefined, {
        timeout: 10_000,
      });
      await new Promise((r) => setTimeout(r, 300));
    }
    await ctx.close();
  }
} finally {
  await browser?.close();
  await phone?.close();
  await server.stop();
  rmSync(data, { recursive: true, force: true });
}

const line = (label: string, value: string, budget: string, ok: boolean | undefined) =>
  console.log(
    `${label.padEnd(46)} ${value.padStart(12)}   ${budget.padEnd(12)} ${ok === undefined ? '' : ok ? 'ok' : 'OVER'}`,
  );
console.log(
  `\nZentrale web client (${runs} runs; Chromium headless, loopback; load average ${loadavg()[0]!.toFixed(1)})\n`,
);
line('initial JavaScript (gzip)', kb(initialGz), '≤ 150 kB', initialGz <= 150 * 1024);
line('  logged-in main window, all JS (gzip)', kb(loggedInChunks), '', undefined);
if (phoneChunk) line('  softphone chunk, after login (gzip)', kb(gz(`assets/${phoneChunk}`)), '', undefined);
line(
  'first render, logged-in view (median)',
  `${median(renders).toFixed(0)} ms`,
  '< 1000 ms',
  median(renders) < 1000,
);
if (samples.length) {
  const span = (m: Marks, from: keyof Marks, to: keyof Marks): number | undefined =>
    m[from] !== undefined && m[to] !== undefined ? m[to]! - m[from]! : undefined;
  const phases: Array<[string, keyof Marks, keyof Marks]> = [
    ['click → microphone', 'click', 'media'],
    ['microphone → offer', 'media', 'offer'],
    ['offer → ICE gathering complete', 'offer', 'gathered'],
    ['click → INVITE sent (browser)', 'click', 'invite'],
    ['INVITE sent → INVITE at the phone', 'invite', 'phone'],
    ['INVITE at the phone → 200 OK in the browser', 'phone', 'ok'],
    ['200 OK → session confirmed (ACK)', 'ok', 'confirmed'],
    ['200 OK → connected (ICE + DTLS)', 'ok', 'connected'],
  ];
  const fmt = (xs: Array<number | undefined>) => xs.map((x) => (x === undefined ? '-' : String(x))).join(' ');
  console.log('\ncall setup browser → phone, per call (ms; samples, then the median):');
  for (const [label, from, to] of phases) {
    const xs = samples.map((m) => span(m, from, to));
    const have = xs.filter((x): x is number => x !== undefined);
    console.log(`  ${label.padEnd(44)} ${fmt(xs).padEnd(28)} ${have.length ? median(have) : '-'}`);
  }
  const inviteToOk = samples.flatMap((m) => span(m, 'invite', 'ok') ?? []);
  const toAudio = samples.flatMap((m) => span(m, 'invite', 'connected') ?? []);
  const total = samples.flatMap((m) => span(m, 'click', 'connected') ?? []);
  console.log('');
  line(
    'call setup: INVITE → 200 OK (median)',
    `${median(inviteToOk)} ms`,
    '< 500 ms',
    median(inviteToOk) < 500,
  );
  line(
    'call setup: INVITE → media connected (median)',
    `${median(toAudio)} ms`,
    '< 500 ms',
    median(toAudio) < 500,
  );
  line('  click → media connected (median)', `${median(total)} ms`, '', undefined);
} else console.log(`call setup browser → phone: ${callNote}`);
