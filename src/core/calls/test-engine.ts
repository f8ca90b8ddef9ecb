import { isSipUri } from '../../sip/message/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import { SDP } from '../../sip/ua/test-helpers.js';
import { Net } from '../../sip/ua/test-net.js';
import type { TenantRecord } from '../../store/types.js';
import { silentLogger } from '../../util/log.js';
import { TenantPlan, type Directory } from '../directory/directory.js';
import { EventBus } from '../events/event-bus.js';
import type { DomainEvent } from '../events/types.js';
import { CallEngine } from './call-engine.js';
import { responseFor, sdpBody } from './sip-helpers.js';
import { FakeMedia } from './test-media.js';
import { testDevice, testLocation, testWorkplace } from './test-directory.js';

/**
 * The call engine over the in-memory network for the call-model tests (not part of the API): peer b is the PBX,
 * peer a plays every phone (callers send from it, device INVITEs reach it, told apart by the request URI's user).
 * Tenants acme (100 with d100 and the unregistered d100b, 201 with d201a and d201b, 202 with d202, 203 with the
 * unregistered d203) and other (300 with d300).
 */
export const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'acme.example' };
export const OTHER: TenantRecord = { id: 'other', name: 'Other', domain: 'other.example' };
export const DEVICES = [
  testDevice('acme', 'd100', '100'),
  testDevice('acme', 'd100b', '100'),
  testDevice('acme', 'd201a', '201'),
  testDevice('acme', 'd201b', '201'),
  testDevice('acme', 'd202', '202'),
  testDevice('acme', 'd203', '203'),
  testDevice('other', 'd300', '300'),
];

/** An SDP offer/answer with RFC 4733 events besides PCMU. */
export const SDP_EVENTS = Buffer.from(
  `${SDP.toString().replace('RTP/AVP 0', 'RTP/AVP 0 101')}a=rtpmap:101 telephone-event/8000\r\n`,
);

export interface TestEngine {
  net: Net;
  media: FakeMedia;
  events: DomainEvent[];
  engine: CallEngine;
  /** INVITEs reaching devices, by device username (the last one per device). */
  rings: Map<string, IncomingInvite>;
}

export function testEngine(): TestEngine {
  const net = new Net();
  const media = new FakeMedia();
  const events: DomainEvent[] = [];
  const bus = new EventBus();
  bus.onAny((e) => events.push(e));
  const rings = new Map<string, IncomingInvite>();
  const plans = new Map([
    [
      'acme',
      new TenantPlan(
        ['100', '201', '202', '203'].map((e) => testWorkplace('acme', e)),
        DEVICES.slice(0, 6),
      ),
    ],
    ['other', new TenantPlan([testWorkplace('other', '300')], DEVICES.slice(6))],
  ]);
  const directory = {
    plan: async (t: string) => plans.get(t)!,
    tenantById: async (t: string) => (t === 'acme' ? ACME : t === 'other' ? OTHER : undefined),
  } as unknown as Directory;
  const engine = new CallEngine({
    ua: net.b.ua,
    media,
    directory,
    location: testLocation(net, ['d203', 'd100b']),
    bus,
    clock: net.clock,
    log: silentLogger(),
    ringTimeoutMs: 20_000,
    mediaTimeoutMs: 0,
  });
  net.b.onApp = (tx) => {
    if (tx.request.method !== 'INVITE') return;
    const username = String(tx.request.headers.get('X-Device'));
    const d = DEVICES.find((x) => x.username === username)!;
    void engine.handleInvite(tx, d.tenantId === 'acme' ? ACME : OTHER, d);
  };
  net.a.onApp = (tx) => {
    if (tx.request.method !== 'INVITE') return;
    const inv = net.a.ua.incomingInvite(tx);
    inv.progress(180);
    rings.set(isSipUri(tx.request.uri) ? (tx.request.uri.user ?? '') : '', inv);
  };
  return { net, media, events, engine, rings };
}

/** A call from `device` to `dialled` on the phones' side; resolves once the first responses are in. */
export async function dialFrom(t: TestEngine, device: string, dialled: string, body: Buffer = SDP) {
  const out = t.net.a.ua.invite({
    flow: t.net.a.flowTo(t.net.b),
    requestUri: `sip:${dialled}@10.0.0.2`,
    from: `<sip:${device}@acme.example>`,
    to: `<sip:${dialled}@acme.example>`,
    body,
    contentType: 'application/sdp',
    headers: [['X-Device', device]],
  });
  await t.net.drain();
  return out;
}

/**
 * A phone's side of a dialog that answers re-INVITEs like a phone (the offer's direction mirrored, RFC 3264
 * section 6.1) and everything else with 200; records the direction of each re-INVITE offer.
 */
export function phone(d: Dialog, body: Buffer = SDP): { offers: string[] } {
  const offers: string[] = [];
  const mirror: Record<string, string> = { sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };
  d.onRequest((tx) => {
    if (tx.request.method !== 'INVITE') return tx.respond(responseFor(tx.request, 200));
    const dir = /a=(sendonly|recvonly|inactive|sendrecv)/.exec(tx.request.body.toString())?.[1] ?? 'sendrecv';
    offers.push(dir);
    const answer = mirror[dir] ? `${body.toString()}a=${mirror[dir]}\r\n` : body.toString();
    tx.respond(responseFor(tx.request, 200, sdpBody(answer)));
  });
  return { offers };
}

/** Waits until no call, endpoint or timer is left. */
export async function settle(t: TestEngine): Promise<{ calls: number; endpoints: string[]; timers: number }> {
  await t.net.advance(40_000, 1000);
  return { calls: t.engine.count(), endpoints: [...t.media.open], timers: t.net.clock.pendingTimers() };
}
