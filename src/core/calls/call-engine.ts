import { randomBytes } from 'node:crypto';
import { musicOnHold } from '../../media/audio/music-on-hold.js';
import {
  answerFor,
  negotiatedCodec,
  remoteRtpOf,
  rewriteSdp,
  type MediaEndpoint,
  type MediaEngine,
  type MediaPlayer,
  type RemoteMedia,
  type Answer,
} from '../../media/index.js';
import {
  createResponse,
  isSipUri,
  quote,
  type SipRequest,
  type SipResponse,
} from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Flow } from '../../sip/transport/types.js';
import type { Dialog, IncomingInvite, OutgoingInvite, UserAgentCore } from '../../sip/ua/index.js';
import type { DeviceRecord, RegistrationRecord, TenantRecord } from '../../store/types.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Directory } from '../directory/directory.js';
import type { EventBus } from '../events/event-bus.js';
import type { Party } from '../events/types.js';
import type { LocationService } from '../registrar/location-service.js';
import { FeatureCodeRegistry, resolveDialString } from '../routing/index.js';
import { bestFinalStatus, reasonForStatus } from './final-status.js';

/**
 * The B2BUA call engine (first cut): an INVITE from an authenticated device becomes a Call with one caller leg
 * (our UAS dialog) and, while ringing, one forked UAC branch per registered contact of the dialled workplace.
 * The first branch to answer wins; the others are cancelled with "Call completed elsewhere" (RFC 3326 Reason).
 * Media is anchored: each leg gets its own RTP port pair and the relay bridges them.
 */
export interface CallEngineOptions {
  ua: UserAgentCore;
  media: MediaEngine;
  directory: Directory;
  location: LocationService;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  features?: FeatureCodeRegistry;
  /** How long the callee's devices ring before the caller gets 480. */
  ringTimeoutMs?: number;
  /** No RTP from a side of an answered call for this long ends the call (0: never). */
  mediaTimeoutMs?: number;
}

interface Branch {
  binding: RegistrationRecord;
  invite: OutgoingInvite;
  endpoint: MediaEndpoint;
  done: boolean;
  status?: number;
}

type CallState = 'ringing' | 'answered' | 'ended';

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

type EngineDeps = Required<CallEngineOptions>;

export class CallEngine {
  readonly #o: EngineDeps;
  readonly #calls = new Set<Call>();

  constructor(opts: CallEngineOptions) {
    this.#o = {
      ringTimeoutMs: 30_000,
      mediaTimeoutMs: 60_000,
      ...opts,
      features: opts.features ?? new FeatureCodeRegistry(),
    };
  }

  /** Live calls, for the leak checks. */
  count(): number {
    return this.#calls.size;
  }

  /** Hangs up every call (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#calls].map((c) => c.hangup('failed')));
  }

  /** A new INVITE from an authenticated device of `tenant`. */
  async handleInvite(tx: ServerTransaction, tenant: TenantRecord, device: DeviceRecord): Promise<void> {
    const o = this.#o;
    const incoming = o.ua.incomingInvite(tx);
    const req = tx.request;
    const plan = await o.directory.plan(tenant.id);
    const callerWp = plan.workplace(device.workplaceExtension);
    const caller: Party = {
      workplace: device.workplaceExtension,
      device: device.username,
      number: device.workplaceExtension,
      ...(callerWp ? { name: callerWp.name } : {}),
    };
    const dialled = isSipUri(req.uri) ? decodeUser(req.uri.user ?? '') : '';
    const route = resolveDialString({ dialled, extensions: plan.extensions, registry: o.features });
    const log = o.log.child({ tenant: tenant.id, callId: req.headers.get('Call-ID') });

    if (route.kind === 'invalid') {
      log.info({ event: 'call.rejected', dialled, reason: route.reason }, 'no route');
      incoming.reject(404, {
        reason: route.reason === 'unknown feature code' ? 'Unknown Feature Code' : 'Not Found',
      });
      return;
    }
    if (route.kind === 'feature') {
      incoming.reject(404, { reason: 'Feature Not Available' });
      return;
    }
    if (route.kind === 'external') {
      incoming.reject(403, { reason: 'No Trunk For External Calls' });
      return;
    }
    const calleeWp = plan.workplace(route.extension)!;
    const callee: Party = { workplace: calleeWp.extension, number: calleeWp.extension, name: calleeWp.name };

    const offer = req.body.length > 0 ? req.body.toString('utf8') : '';
    if (!offer || !mediaOf(offer)) {
      // Late offer (INVITE without SDP) is not supported yet.
      incoming.reject(488, { reason: 'SDP Offer Required' });
      return;
    }
    const bindings = plan
      .devicesOf(calleeWp.extension)
      .flatMap((d) => o.location.lookup(tenant.id, d.username));
    const call = new Call({
      id: randomBytes(8).toString('hex'),
      tenant,
      caller,
      callee,
      incoming,
      engine: o,
      log,
      onEnd: () => this.#calls.delete(call),
    });
    this.#calls.add(call);
    await call.start(offer, bindings);
  }
}

class Call {
  readonly id: string;
  readonly tenant: TenantRecord;
  readonly caller: Party;
  readonly callee: Party;
  readonly #incoming: IncomingInvite;
  readonly #o: EngineDeps;
  readonly #log: Logger;
  readonly #onEnd: () => void;
  #state: CallState = 'ringing';
  #branches: Branch[] = [];
  #callerEndpoint: MediaEndpoint | undefined;
  #ringTimer: TimerHandle | undefined;
  #answeredAt: number | undefined;
  #callerDialog: Dialog | undefined;
  #calleeDialog: Dialog | undefined;
  #bridge: { close(): void } | undefined;
  /** Music on hold playing towards the other side, keyed by the endpoint of the side that holds. */
  readonly #holds = new Map<MediaEndpoint, MediaPlayer>();

  constructor(x: {
    id: string;
    tenant: TenantRecord;
    caller: Party;
    callee: Party;
    incoming: IncomingInvite;
    engine: EngineDeps;
    log: Logger;
    onEnd: () => void;
  }) {
    this.id = x.id;
    this.tenant = x.tenant;
    this.caller = x.caller;
    this.callee = x.callee;
    this.#incoming = x.incoming;
    this.#o = x.engine;
    this.#log = x.log.child({ call: x.id });
    this.#onEnd = x.onEnd;
  }

  #emit(type: 'call.offered' | 'call.ringing' | 'call.answered', device?: string): void {
    this.#o.bus.emit({
      type,
      tenantId: this.tenant.id,
      callId: this.id,
      at: this.#o.clock.now(),
      caller: this.caller,
      callee: this.callee,
      ...(device ? { device } : {}),
    });
  }

  async start(offer: string, bindings: RegistrationRecord[]): Promise<void> {
    this.#emit('call.offered');
    this.#incoming.onCancel(() => void this.#finish(487, 'cancelled'));
    if (bindings.length === 0) {
      this.#incoming.reject(480, { reason: 'Not Registered' });
      this.#end('unavailable', 480);
      return;
    }
    const o = this.#o;
    try {
      this.#callerEndpoint = await o.media.allocate(`${this.id}:caller`);
      const rtp = mediaOf(offer)!;
      this.#callerEndpoint.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
      for (const binding of bindings) {
        const endpoint = await o.media.allocate(`${this.id}:${binding.username}`);
        const branch: Branch = {
          binding,
          endpoint,
          done: false,
          invite: o.ua.invite({
            flow: flowOf(binding),
            requestUri: binding.contact,
            from: `${this.caller.name ? `${quote(this.caller.name)} ` : ''}<sip:${this.caller.number}@${this.tenant.domain}>`,
            to: `${this.callee.name ? `${quote(this.callee.name)} ` : ''}<sip:${this.callee.number}@${this.tenant.domain}>`,
            body: Buffer.from(rewriteSdp(offer, endpoint)),
            contentType: 'application/sdp',
            headers: [['P-Asserted-Identity', `<sip:${this.caller.number}@${this.tenant.domain}>`]],
          }),
        };
        this.#branches.push(branch);
        branch.invite.onProvisional((res) => {
          if (res.status >= 180 && this.#state === 'ringing') {
            this.#incoming.progress(180);
            this.#emit('call.ringing', binding.username);
          }
        });
        void branch.invite.result.then((r) =>
          this.#onBranchFinal(branch, r.response.status, r.response.body, r.dialog),
        );
      }
    } catch (err) {
      this.#log.error({ event: 'call.error', err: String(err) }, 'call setup failed');
      await this.#finish(503, 'failed');
      return;
    }
    this.#ringTimer = o.clock.setTimeout(
      () => void this.#finish(480, 'no-answer', 'No Answer'),
      o.ringTimeoutMs,
    );
  }

  async #onBranchFinal(
    branch: Branch,
    status: number,
    body: Buffer,
    dialog: Dialog | undefined,
  ): Promise<void> {
    branch.done = true;
    branch.status = status;
    if (status >= 200 && status < 300) {
      if (this.#state !== 'ringing' || !dialog) {
        // Answered too late (another device won, or the caller gave up): hang that device up.
        if (dialog) void dialog.bye();
        return;
      }
      await this.#answer(branch, body.toString('utf8'), dialog);
      return;
    }
    if (this.#state === 'ringing' && this.#branches.every((b) => b.done)) {
      const final = bestFinalStatus(this.#branches.map((b) => b.status ?? 480));
      await this.#finish(final, reasonForStatus(final));
    }
  }

  async #answer(winner: Branch, answerSdp: string, calleeDialog: Dialog): Promise<void> {
    this.#state = 'answered';
    this.#o.clock.clearTimeout(this.#ringTimer);
    for (const b of this.#branches) if (b !== winner && !b.done) b.invite.cancel(COMPLETED_ELSEWHERE);
    for (const b of this.#branches) if (b !== winner) b.endpoint.close();
    this.#branches = [winner];
    const callerEp = this.#callerEndpoint!;
    const rtp = mediaOf(answerSdp);
    if (rtp) {
      winner.endpoint.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
      // The answer's codec is what both phones use: the caller offered it, the callee chose it.
      const codec = negotiatedCodec(rtp);
      if (codec) {
        winner.endpoint.setCodec(codec);
        callerEp.setCodec(codec);
      }
    }
    this.#bridge = this.#o.media.bridge(callerEp, winner.endpoint);
    this.#calleeDialog = calleeDialog;
    this.#answeredAt = this.#o.clock.now();
    this.#emit('call.answered', winner.binding.username);
    try {
      this.#callerDialog = await this.#incoming.accept({
        body: Buffer.from(rewriteSdp(answerSdp, callerEp)),
        contentType: 'application/sdp',
      });
    } catch {
      // The caller never ACKed our 2xx: the UA core has sent its BYE; end the callee side too.
      void calleeDialog.bye();
      this.#end('failed');
      return;
    }
    const answeredBy: Party = { ...this.callee, device: winner.binding.username };
    this.#wire(this.#callerDialog, calleeDialog, callerEp, winner.endpoint, this.caller);
    this.#wire(calleeDialog, this.#callerDialog, winner.endpoint, callerEp, answeredBy);
  }

  /**
   * In-dialog requests from one side: BYE ends the call; a re-INVITE is answered here (the other side's dialog
   * is untouched). Hold (sendonly / inactive / c=0.0.0.0, RFC 3264 section 8.4) starts music on hold towards the
   * other party; resume (sendrecv again) stops it and the relay carries both voices again.
   */
  #wire(from: Dialog, to: Dialog, fromEp: MediaEndpoint, toEp: MediaEndpoint, side: Party): void {
    from.onTerminated(() => {
      if (this.#state === 'ended') return;
      void to.bye();
      this.#end('completed');
    });
    from.onRequest((tx) => {
      const m = tx.request.method;
      if (m === 'BYE') {
        tx.respond(okFor(tx.request));
        return;
      }
      if (m === 'INVITE') {
        this.#onReinvite(tx, fromEp, toEp, side);
        return;
      }
      tx.respond(responseFor(tx.request, 501));
    });
    // Media that stops flowing for good (a phone that vanished without BYE) ends the call.
    fromEp.onInactive(() => {
      if (this.#state !== 'answered') return;
      this.#log.info({ event: 'call.media-timeout', side: side.number }, 'no RTP, ending call');
      void this.hangup('completed');
    });
  }

  #onReinvite(tx: ServerTransaction, fromEp: MediaEndpoint, toEp: MediaEndpoint, side: Party): void {
    const offer = tx.request.body.toString('utf8');
    let ans: Answer;
    try {
      // An offerless re-INVITE would need our offer in the 200 and the answer in the ACK: not supported yet.
      if (!offer) throw new Error('no offer');
      ans = answerFor(offer, fromEp);
    } catch {
      tx.respond(responseFor(tx.request, 488));
      return;
    }
    if (!ans.codec || !ans.remote) {
      tx.respond(responseFor(tx.request, 488));
      return;
    }
    fromEp.setRemote({ address: ans.remote.address, port: ans.remote.port }, ans.remote.rtcp);
    fromEp.setCodec(ans.codec);
    const holding = ans.direction === 'recvonly' || ans.direction === 'inactive';
    const o = this.#o;
    const held = this.#holds.get(fromEp);
    if (holding && !held) {
      this.#holds.set(fromEp, o.media.play(toEp, musicOnHold(), { loop: true }));
      // A holding phone may send nothing at all: that silence is not a dead call.
      fromEp.setInactivityTimeout(0);
      o.bus.emit({
        type: 'call.held',
        tenantId: this.tenant.id,
        callId: this.id,
        at: o.clock.now(),
        by: side,
      });
    } else if (!holding && held) {
      held.stop();
      this.#holds.delete(fromEp);
      fromEp.setInactivityTimeout(o.mediaTimeoutMs);
      o.bus.emit({
        type: 'call.resumed',
        tenantId: this.tenant.id,
        callId: this.id,
        at: o.clock.now(),
        by: side,
      });
    }
    tx.respond(responseFor(tx.request, 200, { body: Buffer.from(ans.sdp), contentType: 'application/sdp' }));
  }

  /** Ends a call that was not answered: cancels branches, answers the caller (unless it cancelled). */
  async #finish(status: number, reason: Parameters<Call['hangup']>[0], phrase?: string): Promise<void> {
    if (this.#state !== 'ringing') return;
    for (const b of this.#branches) if (!b.done) b.invite.cancel();
    if (reason !== 'cancelled') this.#incoming.reject(status, phrase ? { reason: phrase } : {});
    this.#end(reason, status);
  }

  async hangup(
    reason:
      'completed' | 'cancelled' | 'busy' | 'declined' | 'no-answer' | 'not-found' | 'unavailable' | 'failed',
  ): Promise<void> {
    if (this.#state === 'ringing') return this.#finish(503, reason);
    if (this.#state === 'answered') {
      await Promise.all([this.#callerDialog?.bye(), this.#calleeDialog?.bye()]);
      this.#end('completed');
    }
  }

  #end(reason: Parameters<Call['hangup']>[0], status?: number): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#o.clock.clearTimeout(this.#ringTimer);
    for (const p of this.#holds.values()) p.stop();
    this.#holds.clear();
    this.#bridge?.close();
    this.#callerEndpoint?.close();
    for (const b of this.#branches) b.endpoint.close();
    this.#o.bus.emit({
      type: 'call.ended',
      tenantId: this.tenant.id,
      callId: this.id,
      at: this.#o.clock.now(),
      caller: this.caller,
      callee: this.callee,
      reason: this.#answeredAt !== undefined ? 'completed' : reason,
      ...(status !== undefined ? { status } : {}),
      ...(this.#answeredAt !== undefined ? { answeredAt: this.#answeredAt } : {}),
    });
    this.#log.info({ event: 'call.ended', reason, status }, 'call ended');
    this.#onEnd();
  }
}

function flowOf(b: RegistrationRecord): Flow {
  return {
    protocol: b.flowProtocol as Flow['protocol'],
    local: { address: b.flowLocalAddress, port: b.flowLocalPort },
    remote: { address: b.flowAddress, port: b.flowPort },
    ...(b.flowConnectionId ? { connectionId: b.flowConnectionId } : {}),
  };
}

function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

function responseFor(
  req: SipRequest,
  status: number,
  o: { body?: Buffer; contentType?: string } = {},
): SipResponse {
  return createResponse(req, status, undefined, o);
}

function okFor(req: SipRequest): SipResponse {
  return responseFor(req, 200);
}

/** The audio stream of an SDP body, or undefined when it is not valid SDP with audio. */
function mediaOf(sdp: string): RemoteMedia | undefined {
  try {
    return remoteRtpOf(sdp);
  } catch {
    return undefined;
  }
}
