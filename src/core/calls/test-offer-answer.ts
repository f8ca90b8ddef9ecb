/** Test rig for the offer/answer tests of the call model on the in-memory network (not part of the API). */
import assert from 'node:assert/strict';
import { remoteRtpOf } from '../../media/index.js';
import { isSipUri } from '../../sip/message/index.js';
import type { Dialog, IncomingInvite, OutgoingInvite } from '../../sip/ua/index.js';
import { Net } from '../../sip/ua/test-net.js';
import type { TenantRecord } from '../../store/types.js';
import { silentLogger } from '../../util/log.js';
import { TenantPlan, type Directory } from '../directory/directory.js';
import { EventBus } from '../events/event-bus.js';
import { CallEngine } from './call-engine.js';
import { okFor, responseFor } from './sip-helpers.js';
import { FORMAT_DRAIN_MS } from './renegotiate.js';
import { FakeMedia } from './test-media.js';
import { testDevice, testLocation, testWorkplace } from './test-directory.js';

/**
 * Tenant acme: 100 (d100), 201 (d201), 202 (d202), 203 with two devices (d203a, d203b) for a call pull. Peer a
 * plays every phone, peer b is the PBX; INVITEs reaching phones are told apart by the request URI's user.
 */
export const T: TenantRecord = { id: 'acme', name: 'Acme', domain: 'acme.example' };
const dev = (username: string, ext: string) => testDevice('acme', username, ext);
export const DEVICES = [
  dev('d100', '100'),
  dev('d201', '201'),
  dev('d202', '202'),
  dev('d203a', '203'),
  dev('d203b', '203'),
];

export type Fmt = readonly [number, string];
export const OPUS: Fmt = [96, 'opus/48000/2'];
export const PCMU: Fmt = [0, 'PCMU/8000'];
export const G722: Fmt = [9, 'G722/8000'];
export const GSM: Fmt = [3, 'GSM/8000'];
export const TE: Fmt = [101, 'telephone-event/8000'];

export function sdp(formats: readonly Fmt[], dir = 'sendrecv'): Buffer {
  const lines = [
    'v=0',
    'o=- 7 1 IN IP4 10.0.0.1',
    's=-',
    'c=IN IP4 10.0.0.1',
    't=0 0',
    `m=audio 4000 RTP/AVP ${formats.map((f) => f[0]).join(' ')}`,
    ...formats.map((f) => `a=rtpmap:${f[0]} ${f[1]}`),
    `a=${dir}`,
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

export const encodings = (body: string | Buffer): string[] =>
  remoteRtpOf(body.toString()).codecs.map((c) => c.encoding.toUpperCase());
export const origin = (body: string | Buffer): [number, number] => {
  const m = /^o=\S+ (\d+) (\d+)/m.exec(body.toString());
  assert.ok(m, 'SDP has an o= line');
  return [Number(m[1]), Number(m[2])];
};
export const direction = (body: string | Buffer): string => remoteRtpOf(body.toString()).direction;

/** A phone's answer to an offer: the first offered format it supports, plus telephone-event when offered. */
export function phoneAnswer(offer: string, supports: readonly string[]): Buffer | undefined {
  const offered = remoteRtpOf(offer).codecs;
  const pick = offered.find((c) => supports.includes(c.encoding.toUpperCase()));
  if (!pick) return undefined;
  const te = offered.find((c) => c.encoding.toLowerCase() === 'telephone-event');
  const name = (c: typeof pick): string =>
    `${c.encoding}/${c.clockRate}${c.channels && c.channels > 1 ? `/${c.channels}` : ''}`;
  const list: Fmt[] = [[pick.payloadType, name(pick)]];
  if (te) list.push([te.payloadType, name(te)]);
  return sdp(list);
}

/** What a test phone got in its dialog: each re-INVITE's offer and P-Asserted-Identity, in order. */
export type Received = Array<{ offer: string; pai: string | undefined }>;

export interface PhoneBehaviour {
  /** Answer this many re-INVITEs with 491 first (glare, RFC 3261 section 14.2). */
  glare?: number;
}

export class OfferAnswerRig {
  readonly net = new Net();
  readonly media = new FakeMedia();
  readonly engine: CallEngine;
  /** INVITEs reaching phones, by device username (the last one per device). */
  readonly rings = new Map<string, { inv: IncomingInvite; offer: string }>();

  constructor() {
    const plan = new TenantPlan(
      ['100', '201', '202', '203'].map((e) => testWorkplace('acme', e)),
      DEVICES,
    );
    const directory = { plan: async () => plan, tenantById: async () => T } as unknown as Directory;
    this.engine = new CallEngine({
      ua: this.net.b.ua,
      media: this.media,
      directory,
      location: testLocation(this.net),
      bus: new EventBus(),
      clock: this.net.clock,
      log: silentLogger(),
      ringTimeoutMs: 20_000,
      mediaTimeoutMs: 0,
    });
    this.net.b.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      const device = DEVICES.find((d) => d.username === tx.request.headers.get('X-Device'))!;
      if (isSipUri(tx.request.uri) && tx.request.uri.user === '*11') {
        void this.engine.pull({
          tenant: T,
          device,
          caller: {
            workplace: device.workplaceExtension,
            number: device.workplaceExtension,
            device: device.username,
          },
          code: '*11',
          incoming: this.net.b.ua.incomingInvite(tx),
          log: silentLogger(),
        });
        return;
      }
      void this.engine.handleInvite(tx, T, device);
    };
    this.net.a.onApp = (tx) => {
      if (tx.request.method !== 'INVITE') return;
      const inv = this.net.a.ua.incomingInvite(tx);
      inv.progress(180);
      const user = isSipUri(tx.request.uri) ? (tx.request.uri.user ?? '') : '';
      this.rings.set(user, { inv, offer: tx.request.body.toString() });
    };
  }

  /** A call from `device` to `to`; `formats` undefined sends a late offer (INVITE without SDP). */
  dial(
    device: string,
    to: string,
    formats: readonly Fmt[] | undefined,
    o: { headers?: Array<[string, string]>; ackBody?: (res: { body: Buffer }) => Buffer | undefined } = {},
  ): OutgoingInvite {
    return this.net.a.ua.invite({
      flow: this.net.a.flowTo(this.net.b),
      requestUri: `sip:${to}@10.0.0.2`,
      from: `<sip:${device}@acme.example>`,
      to: `<sip:${to}@acme.example>`,
      ...(formats ? { body: sdp(formats), contentType: 'application/sdp' } : {}),
      headers: [['X-Device', device], ...(o.headers ?? [])],
      ...(o.ackBody
        ? {
            ackBody: (res) => {
              const body = o.ackBody!(res);
              return body ? { body, contentType: 'application/sdp' } : undefined;
            },
          }
        : {}),
    });
  }

  /** Answers the ringing `device` with its first supported format; resolves with its dialog. */
  async answer(device: string, supports: readonly string[]): Promise<Dialog> {
    const ring = this.rings.get(device);
    assert.ok(ring, `${device} rings`);
    const d = ring.inv.accept({ body: phoneAnswer(ring.offer, supports)!, contentType: 'application/sdp' });
    await this.settle();
    return d;
  }

  /**
   * Lets the phone on `dialog` answer our re-INVITEs from `supports` (488 when it supports none offered) and
   * records their offers and identities.
   */
  phone(dialog: Dialog, supports: readonly string[], b: PhoneBehaviour = {}): Received {
    const got: Received = [];
    let glare = b.glare ?? 0;
    dialog.onRequest((tx) => {
      if (tx.request.method !== 'INVITE') return tx.respond(okFor(tx.request));
      const offer = tx.request.body.toString();
      got.push({ offer, pai: tx.request.headers.get('P-Asserted-Identity') });
      if (glare > 0) {
        glare--;
        return tx.respond(responseFor(tx.request, 491));
      }
      const ans = phoneAnswer(offer, supports);
      tx.respond(
        ans
          ? responseFor(tx.request, 200, { body: ans, contentType: 'application/sdp' })
          : responseFor(tx.request, 488),
      );
    });
    return got;
  }

  async reinvite(d: Dialog, body: Buffer) {
    const r = d.request('INVITE', { body, contentType: 'application/sdp' });
    await this.settle();
    return r;
  }

  /**
   * Lets the messages in flight be handled and a leg switching format drain (FORMAT_DRAIN_MS, renegotiate.ts)
   * before our re-INVITE goes out, then handles what follows.
   */
  async settle(): Promise<void> {
    await this.net.drain();
    await this.net.advance(FORMAT_DRAIN_MS, 10);
    await this.net.drain();
    await this.net.drain();
  }

  /** The label of the open endpoint whose label ends with `suffix` (':caller', ':d201'...). */
  endpoint(suffix: string): string {
    const label = [...this.media.open].find((l) => l.endsWith(suffix));
    assert.ok(label, `endpoint ${suffix}`);
    return label;
  }

  /** Lets every timer run out and checks nothing is left: no call, no open endpoint. */
  async settled(): Promise<void> {
    await this.net.advance(40_000, 1000);
    assert.equal(this.engine.count(), 0, 'no call left');
    assert.deepEqual([...this.media.open], [], 'no endpoint left open');
  }
}
