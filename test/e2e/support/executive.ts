import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BaresipPhone, toneRatio } from './baresip.js';
import { assertBaseline, startTestServer, type TestServer } from './server.js';
import type { DomainEvent } from '../../../src/core/events/types.js';

/**
 * The phones of the executive–assistant tests (fixtures/executive.yaml): real baresip phones for the caller, the
 * executive and its two assistants, each sending its own tone so a test can tell who hears whom. Client ports come
 * from the test's RTP range (ZENTRALE_TEST_RTP_PORTS start - 500 + n), so parallel runs do not collide.
 */
export const EXEC_FIXTURE = fileURLToPath(new URL('../fixtures/executive.yaml', import.meta.url));
export const DOMAIN = 'acme.zentrale.test';

const rtpStart = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]);
/** A client port of this test run: n in 0..499. */
export const clientPort = (n: number): number => rtpStart - 500 + n;

export const TONES = { caller: 1000, exec: 700, a1: 440, a2: 550 } as const;

export interface ExecPhones {
  caller: BaresipPhone;
  exec: BaresipPhone;
  a1: BaresipPhone;
  a2: BaresipPhone;
}

const ACCOUNTS = {
  caller: { user: '310', password: 'acme-Aydin-Pa55word', base: 0 },
  exec: { user: '300', password: 'acme-Heiden-Pa55word', base: 40 },
  a1: { user: '301', password: 'acme-Berg-Pa55word', base: 80 },
  a2: { user: '302', password: 'acme-Ott-Pa55word', base: 120 },
} as const;

export async function startPhones(t: TestServer, offset = 0): Promise<ExecPhones> {
  const make = (k: keyof ExecPhones) =>
    new BaresipPhone({
      name: k,
      user: ACCOUNTS[k].user,
      password: ACCOUNTS[k].password,
      domain: DOMAIN,
      proxy: t.udp,
      basePort: clientPort(offset + ACCOUNTS[k].base),
      toneHz: TONES[k],
    });
  const p: ExecPhones = { caller: make('caller'), exec: make('exec'), a1: make('a1'), a2: make('a2') };
  await Promise.all(Object.values(p).map((x) => x.start()));
  await Promise.all(Object.values(p).map((x) => x.waitRegistered()));
  return p;
}

export function allPhones(p: ExecPhones): BaresipPhone[] {
  return [p.caller, p.exec, p.a1, p.a2];
}

/**
 * The hooks every executive suite shares: one server (the fixture, 20 s ring timeout, `sip` listeners if given)
 * and the four phones for the whole suite, handed to `ready` once up; fresh events and recordings before each
 * test, the leak check after it.
 */
export function executiveSuite(
  opts: { sip?: string; phoneOffset?: number },
  ready: (s: { t: TestServer; p: ExecPhones }) => void,
): void {
  let t: TestServer | undefined;
  let p: ExecPhones | undefined;
  before(async () => {
    t = await startTestServer({
      args: ['--provision', EXEC_FIXTURE, '--ring-timeout', '20'],
      ...(opts.sip ? { sip: opts.sip } : {}),
    });
    p = await startPhones(t, opts.phoneOffset ?? 0);
    ready({ t, p });
  });
  after(async () => {
    await Promise.all(p ? allPhones(p).map((x) => x.stop()) : []);
    await t?.stop();
  });
  beforeEach(() => {
    for (const x of p ? allPhones(p) : []) {
      x.clearEvents();
      x.clearRecordings();
    }
  });
  afterEach(async () => {
    if (t) await assertBaseline(t, 8000);
    await sleep(1000); // sndfile names recordings by the second
  });
}

/** The tone share at `hz` in the last second (minus 200 ms) of `phone`'s last recording. */
export function heardAtEnd(phone: BaresipPhone, hz: number): number {
  const rec = phone.lastRecording();
  assert.ok(rec, 'a recording');
  const end = rec.samples.length - rec.rate * 0.2;
  const seg = rec.samples.subarray(Math.max(0, end - rec.rate), end);
  return toneRatio(seg, rec.rate, hz);
}

/** Every bus event from now on, until `stop()`. */
export function recordEvents(t: TestServer): { events: DomainEvent[]; stop(): void } {
  const events: DomainEvent[] = [];
  const off = t.server.bus.onAny((e) => events.push(e));
  return { events, stop: off };
}

/** A URI for a feature code: '#' escaped (RFC 3261 section 19.1.2). */
export function codeUri(dialled: string): string {
  return `sip:${dialled.replace(/#/g, '%23')}@${DOMAIN}`;
}

/** Did `phone` see an incoming call among its queued events? */
export function rang(phone: BaresipPhone): boolean {
  return phone.events.some((e) => e.type === 'CALL_INCOMING');
}
