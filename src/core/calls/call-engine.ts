import { randomBytes } from 'node:crypto';
import { musicOnHold } from '../../media/audio/music-on-hold.js';
import { ringbackTone } from '../../media/audio/tone.js';
import {
  answerFor,
  negotiatedCodec,
  offerFor,
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
  parseNameAddr,
  reasonPhrase,
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
import type { Directory, TenantPlan } from '../directory/directory.js';
import type { EventBus } from '../events/event-bus.js';
import type { Party } from '../events/types.js';
import type { LocationService } from '../registrar/location-service.js';
import { FeatureCodeRegistry, resolveDialString } from '../routing/index.js';
import type { ExternalRoutes, InboundRoute } from './external-routes.js';
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
  /** SIP trunks (features/trunks): outbound targets and inbound DIDs. Without it external numbers get 403. */
  external?: ExternalRoutes;
  /** How long the callee's devices ring before the caller gets 480. */
  ringTimeoutMs?: number;
  /** No RTP from a side of an answered call for this long ends the call (0: never). */
  mediaTimeoutMs?: number;
}

interface Branch {
  target: Target;
  invite: OutgoingInvite;
  endpoint: MediaEndpoint;
  done: boolean;
  status?: number;
}

type CallState = 'ringing' | 'answered' | 'ended';

const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

type EngineDeps = Required<Omit<CallEngineOptions, 'external'>> & { external: ExternalRoutes | undefined };

export class CallEngine {
  readonly #o: EngineDeps;
  readonly #calls = new Set<Call>();
  /** Connected legs by dialog id, so a REFER with Replaces can find the call it names (same tenant only). */
  readonly #legsByDialog = new Map<string, { call: Call; leg: Leg }>();

  constructor(opts: CallEngineOptions) {
    this.#o = {
      ringTimeoutMs: 30_000,
      mediaTimeoutMs: 60_000,
      ...opts,
      features: opts.features ?? new FeatureCodeRegistry(),
      external: opts.external,
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
    const externalPrefix = await o.external?.externalPrefix?.(tenant.id);
    const route = resolveDialString({
      dialled,
      extensions: plan.extensions,
      registry: o.features,
      ...(externalPrefix !== undefined ? { externalPrefix } : {}),
    });
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
      const trunk = await o.external?.outbound(tenant.id, device.workplaceExtension, route.number);
      if (!trunk) {
        incoming.reject(403, { reason: 'No Trunk For External Calls' });
        return;
      }
      const target: Target = {
        label: trunk.trunkId,
        flow: trunk.flow,
        requestUri: trunk.requestUri,
        from: trunk.from,
        to: trunk.to,
        headers: trunk.headers ?? [],
      };
      await this.#start(incoming, tenant, caller, { number: route.number }, [target], log);
      return;
    }
    const calleeWp = plan.workplace(route.extension)!;
    const callee: Party = { workplace: calleeWp.extension, number: calleeWp.extension, name: calleeWp.name };
    await this.#start(
      incoming,
      tenant,
      caller,
      callee,
      this.#devicesOf(plan, tenant.id, calleeWp.extension),
      log,
    );
  }

  /** Routes the INVITE when it comes from a tenant's trunk peer; false when it does not (then it needs digest). */
  async fromTrunk(tx: ServerTransaction): Promise<boolean> {
    const ext = this.#o.external;
    if (!ext) return false;
    const req = tx.request;
    const dialled = isSipUri(req.uri) ? decodeUser(req.uri.user ?? '') : '';
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const fromUser = from && isSipUri(from.uri) ? decodeUser(from.uri.user ?? '') : '';
    const route = await ext.inbound(tx.flow.remote, dialled, fromUser);
    if (!route) return false;
    await this.handleTrunkInvite(tx, route);
    return true;
  }

  /**
   * An INVITE from a tenant's trunk (the caller is not authenticated: the peer address is the trust, checked by
   * ExternalRoutes.inbound). It reaches the workplace its DID names, in that tenant only.
   */
  async handleTrunkInvite(tx: ServerTransaction, route: InboundRoute): Promise<void> {
    const o = this.#o;
    const incoming = o.ua.incomingInvite(tx);
    const tenant = await o.directory.tenantById(route.tenantId);
    const log = o.log.child({
      tenant: route.tenantId,
      callId: tx.request.headers.get('Call-ID'),
      trunk: route.trunkId,
    });
    if (!tenant || route.kind === 'unknown-number') {
      log.info({ event: 'call.rejected', reason: 'unknown DID' }, 'no route');
      incoming.reject(404, { reason: 'Number Not Assigned' });
      return;
    }
    const plan = await o.directory.plan(tenant.id);
    const wp = plan.workplace(route.extension);
    if (!wp) {
      incoming.reject(404, { reason: 'Number Not Assigned' });
      return;
    }
    const callee: Party = { workplace: wp.extension, number: wp.extension, name: wp.name };
    await this.#start(
      incoming,
      tenant,
      { number: route.callerNumber },
      callee,
      this.#devicesOf(plan, tenant.id, wp.extension),
      log,
    );
  }

  #devicesOf(plan: TenantPlan, tenantId: string, extension: string): Target[] {
    return plan
      .devicesOf(extension)
      .flatMap((d) => this.#o.location.lookup(tenantId, d.username))
      .map(deviceTarget);
  }

  async #start(
    incoming: IncomingInvite,
    tenant: TenantRecord,
    caller: Party,
    callee: Party,
    targets: Target[],
    log: Logger,
  ): Promise<void> {
    const o = this.#o;
    const req = incoming.request;
    const offer = req.body.length > 0 ? req.body.toString('utf8') : '';
    if (!offer || !mediaOf(offer)) {
      // Late offer (INVITE without SDP) is not supported yet.
      incoming.reject(488, { reason: 'SDP Offer Required' });
      return;
    }
    const call = new Call({
      id: randomBytes(8).toString('hex'),
      tenant,
      caller,
      callee,
      incoming,
      engine: o,
      log,
      onEnd: () => this.#calls.delete(call),
      dialogs: {
        add: (leg, c) => this.#legsByDialog.set(dialogKey(leg.dialog.id), { call: c, leg }),
        remove: (leg) => this.#legsByDialog.delete(dialogKey(leg.dialog.id)),
        find: (id) => this.#legsByDialog.get(dialogKey(id)),
      },
    });
    this.#calls.add(call);
    await call.start(offer, targets);
  }
}

class Call {
  readonly id: string;
  readonly tenant: TenantRecord;
  caller: Party;
  callee: Party;
  readonly #incoming: IncomingInvite;
  readonly #o: EngineDeps;
  readonly #log: Logger;
  readonly #onEnd: () => void;
  readonly #dialogs: LegRegistry;
  #state: CallState = 'ringing';
  #branches: Branch[] = [];
  #callerEndpoint: MediaEndpoint | undefined;
  #ringTimer: TimerHandle | undefined;
  #answeredAt: number | undefined;
  /** The two connected sides once answered: [caller side, callee side] (either may change by transfer). */
  #legs: [Leg, Leg] | undefined;
  #transferring = false;
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
    dialogs: LegRegistry;
  }) {
    this.id = x.id;
    this.tenant = x.tenant;
    this.caller = x.caller;
    this.callee = x.callee;
    this.#incoming = x.incoming;
    this.#o = x.engine;
    this.#log = x.log.child({ call: x.id });
    this.#onEnd = x.onEnd;
    this.#dialogs = x.dialogs;
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

  async start(offer: string, targets: Target[]): Promise<void> {
    this.#emit('call.offered');
    this.#incoming.onCancel(() => void this.#finish(487, 'cancelled'));
    if (targets.length === 0) {
      this.#incoming.reject(480, { reason: 'Not Registered' });
      this.#end('unavailable', 480);
      return;
    }
    const o = this.#o;
    try {
      this.#callerEndpoint = await o.media.allocate(`${this.id}:caller`);
      const rtp = mediaOf(offer)!;
      this.#callerEndpoint.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
      for (const target of targets) {
        const endpoint = await o.media.allocate(`${this.id}:${target.label}`);
        const branch: Branch = {
          target,
          endpoint,
          done: false,
          invite: o.ua.invite({
            flow: target.flow,
            requestUri: target.requestUri,
            from: target.from ?? nameAddr(this.caller, this.tenant.domain),
            to: target.to ?? nameAddr(this.callee, this.tenant.domain),
            body: Buffer.from(rewriteSdp(offer, endpoint)),
            contentType: 'application/sdp',
            headers: target.headers ?? [
              ['P-Asserted-Identity', `<sip:${this.caller.number}@${this.tenant.domain}>`],
            ],
          }),
        };
        this.#branches.push(branch);
        branch.invite.onProvisional((res) => {
          if (res.status >= 180 && this.#state === 'ringing') {
            this.#incoming.progress(180);
            this.#emit('call.ringing', target.device);
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
    this.#answeredAt = this.#o.clock.now();
    this.#emit('call.answered', winner.target.device);
    let callerDialog: Dialog;
    try {
      callerDialog = await this.#incoming.accept({
        body: Buffer.from(rewriteSdp(answerSdp, callerEp)),
        contentType: 'application/sdp',
      });
    } catch {
      // The caller never ACKed our 2xx: the UA core has sent its BYE; end the callee side too.
      void calleeDialog.bye();
      this.#end('failed');
      return;
    }
    const callerLeg: Leg = { dialog: callerDialog, ep: callerEp, party: this.caller, role: 'caller' };
    const calleeLeg: Leg = {
      dialog: calleeDialog,
      ep: winner.endpoint,
      party: { ...this.callee, ...(winner.target.device ? { device: winner.target.device } : {}) },
      role: 'callee',
    };
    this.#legs = [callerLeg, calleeLeg];
    this.#wire(callerLeg);
    this.#wire(calleeLeg);
  }

  #other(leg: Leg): Leg {
    const [a, b] = this.#legs!;
    return leg === a ? b : a;
  }

  /**
   * In-dialog requests from one side: BYE ends the call; a re-INVITE is answered here (the other side's dialog
   * is untouched). Hold (sendonly / inactive / c=0.0.0.0, RFC 3264 section 8.4) starts music on hold towards the
   * other party; resume (sendrecv again) stops it and the relay carries both voices again.
   */
  #wire(leg: Leg): void {
    this.#dialogs.add(leg, this);
    leg.dialog.onTerminated(() => {
      // A transferor hanging up after its REFER does not end the call it handed on, and a leg handed over to
      // another call (attended transfer) belongs to that call now.
      if (this.#state === 'ended' || leg.gone || leg.moved) return;
      void this.#other(leg).dialog.bye();
      this.#end('completed');
    });
    leg.dialog.onRequest((tx) => {
      const m = tx.request.method;
      if (m === 'BYE') {
        tx.respond(okFor(tx.request));
        return;
      }
      if (m === 'INVITE') {
        this.#onReinvite(tx, leg.ep, this.#other(leg).ep, leg.party);
        return;
      }
      if (m === 'REFER') {
        void this.#onRefer(tx, leg);
        return;
      }
      tx.respond(responseFor(tx.request, 501));
    });
    // Media that stops flowing for good (a phone that vanished without BYE) ends the call.
    leg.ep.onInactive(() => {
      if (this.#state !== 'answered' || leg.gone || leg.moved) return;
      this.#log.info({ event: 'call.media-timeout', side: leg.party.number }, 'no RTP, ending call');
      void this.hangup('completed');
    });
  }

  /**
   * Blind transfer (RFC 3515): the transferor's REFER names a workplace of the same tenant; its peer (the
   * transferee) hears ringback while the target's devices ring, then is bridged to whoever answers. Progress goes
   * to the transferor as NOTIFY with a message/sipfrag body; on success its leg is released with BYE.
   */
  async #onRefer(tx: ServerTransaction, transferor: Leg): Promise<void> {
    const o = this.#o;
    const referTo = parseNameAddr(tx.request.headers.get('Refer-To') ?? '');
    if (!referTo || !isSipUri(referTo.uri)) {
      tx.respond(responseFor(tx.request, 400));
      return;
    }
    const replaces = [...referTo.uri.headers].find(([k]) => k.toLowerCase() === 'replaces')?.[1];
    if (this.#transferring) {
      tx.respond(createResponse(tx.request, 491, 'Transfer In Progress'));
      return;
    }
    if (replaces !== undefined) {
      this.#attendedTransfer(tx, transferor, replaces);
      return;
    }
    const plan = await o.directory.plan(this.tenant.id);
    const route = resolveDialString({
      dialled: decodeUser(referTo.uri.user ?? ''),
      extensions: plan.extensions,
      registry: o.features,
    });
    const target = route.kind === 'workplace' ? plan.workplace(route.extension) : undefined;
    if (!target) {
      tx.respond(createResponse(tx.request, 404, 'Transfer Target Not Found'));
      return;
    }
    const bindings = plan
      .devicesOf(target.extension)
      .flatMap((d) => o.location.lookup(this.tenant.id, d.username));
    if (bindings.length === 0) {
      tx.respond(createResponse(tx.request, 480, 'Transfer Target Not Registered'));
      return;
    }
    this.#transferring = true;
    // From here the transferor may hang up at any time without ending the call it hands on.
    transferor.gone = true;
    tx.respond(responseFor(tx.request, 202));
    const transferee = this.#other(transferor);
    void notifySipfrag(transferor.dialog, 'SIP/2.0 100 Trying', false);
    // The transferee hears ringback (replacing any music on hold the transferor started).
    this.#holds.delete(transferor.ep);
    const ringback = o.media.play(transferee.ep, ringbackTone(), { loop: true });
    const targetParty: Party = { workplace: target.extension, number: target.extension, name: target.name };
    const won = await this.#ring(bindings.map(deviceTarget), transferee.party, targetParty);
    ringback.stop();
    this.#transferring = false;
    if (this.#state !== 'answered') {
      if (won.winner) void won.winner.dialog.bye();
      won.winner?.ep.close();
      return;
    }
    if (!won.winner) {
      void notifySipfrag(transferor.dialog, `SIP/2.0 ${won.status} ${reasonPhrase(won.status)}`, true);
      if (transferor.dialog.state === 'terminated') {
        void this.hangup('completed');
      } else {
        // RFC 3515 leaves the transferor's call up when the transfer fails: reconnect the two.
        transferor.gone = false;
        this.#bridge = o.media.bridge(transferee.ep, transferor.ep);
      }
      return;
    }
    const w = won.winner;
    this.#bridge = o.media.bridge(transferee.ep, w.ep);
    const newLeg: Leg = {
      dialog: w.dialog,
      ep: w.ep,
      party: { ...targetParty, device: w.device },
      role: transferor.role,
    };
    this.#legs = transferor.role === 'caller' ? [newLeg, transferee] : [transferee, newLeg];
    if (transferor.role === 'caller') this.caller = targetParty;
    else this.callee = targetParty;
    this.#wire(newLeg);
    void notifySipfrag(transferor.dialog, 'SIP/2.0 200 OK', true).then(() => transferor.dialog.bye());
    transferor.ep.close();
    o.bus.emit({
      type: 'call.transferred',
      tenantId: this.tenant.id,
      callId: this.id,
      at: o.clock.now(),
      by: transferor.party,
      to: newLeg.party,
      kind: 'blind',
    });
  }

  /**
   * Attended transfer (RFC 3515 with RFC 3891 Replaces in the Refer-To): the transferor talks to the transferee in
   * this call and to the target in another call of the same tenant, whose dialog the Replaces names. The target's
   * leg moves into this call in the transferor's place, the transferee is bridged to it, and both of the
   * transferor's legs are released.
   */
  #attendedTransfer(tx: ServerTransaction, transferor: Leg, replaces: string): void {
    const o = this.#o;
    const id = parseReplaces(decodeUser(replaces));
    // RFC 3891 section 3: to-tag is compared with our local tag, from-tag with the remote one.
    const found = id
      ? (this.#dialogs.find({ callId: id.callId, localTag: id.toTag, remoteTag: id.fromTag }) ??
        this.#dialogs.find({ callId: id.callId, localTag: id.fromTag, remoteTag: id.toTag }))
      : undefined;
    if (!found || found.call === this || found.call.tenant.id !== this.tenant.id) {
      tx.respond(createResponse(tx.request, 481, 'Replaced Dialog Not Found'));
      return;
    }
    const target = found.call.handOver(found.leg);
    if (!target) {
      tx.respond(createResponse(tx.request, 481, 'Replaced Dialog Not Connected'));
      return;
    }
    tx.respond(responseFor(tx.request, 202));
    const transferee = this.#other(transferor);
    transferor.gone = true;
    for (const p of this.#holds.values()) p.stop();
    this.#holds.clear();
    this.#bridge = o.media.bridge(transferee.ep, target.ep);
    const newLeg: Leg = { ...target, role: transferor.role, moved: false };
    this.#legs = transferor.role === 'caller' ? [newLeg, transferee] : [transferee, newLeg];
    if (transferor.role === 'caller') this.caller = newLeg.party;
    else this.callee = newLeg.party;
    this.#wire(newLeg);
    void notifySipfrag(transferor.dialog, 'SIP/2.0 200 OK', true).then(() => transferor.dialog.bye());
    transferor.ep.close();
    o.bus.emit({
      type: 'call.transferred',
      tenantId: this.tenant.id,
      callId: this.id,
      at: o.clock.now(),
      by: transferor.party,
      to: newLeg.party,
      kind: 'attended',
    });
  }

  /**
   * Gives up `leg` (whose dialog a transferor's Replaces named) to another call: returns the other side of this
   * call — the party the transferor consulted — and ends this call, releasing `leg` with BYE.
   */
  handOver(leg: Leg): Leg | undefined {
    if (this.#state !== 'answered' || !this.#legs) return undefined;
    const target = this.#other(leg);
    target.moved = true;
    this.#dialogs.remove(target);
    leg.gone = true;
    for (const p of this.#holds.values()) p.stop();
    this.#holds.clear();
    void leg.dialog.bye();
    this.#end('completed');
    return target;
  }

  /** Rings every target with our own offer; the first to answer wins, the others are cancelled. */
  async #ring(
    targets: Target[],
    from: Party,
    to: Party,
  ): Promise<{ winner?: { dialog: Dialog; ep: MediaEndpoint; device: string }; status: number }> {
    const o = this.#o;
    const branches = await Promise.all(
      targets.map(async (target) => {
        const ep = await o.media.allocate(`${this.id}:${target.label}`);
        const invite = o.ua.invite({
          flow: target.flow,
          requestUri: target.requestUri,
          from: nameAddr(from, this.tenant.domain),
          to: nameAddr(to, this.tenant.domain),
          body: Buffer.from(offerFor(ep)),
          contentType: 'application/sdp',
        });
        return { target, ep, invite };
      }),
    );
    const timer = o.clock.setTimeout(() => branches.forEach((b) => b.invite.cancel()), o.ringTimeoutMs);
    const statuses: number[] = [];
    let winner: { dialog: Dialog; ep: MediaEndpoint; device: string } | undefined;
    await Promise.all(
      branches.map(async (b) => {
        const r = await b.invite.result;
        statuses.push(r.response.status);
        if (r.dialog && !winner) {
          winner = { dialog: r.dialog, ep: b.ep, device: b.target.label };
          const media = mediaOf(r.response.body.toString('utf8'));
          const codec = media ? negotiatedCodec(media) : undefined;
          if (media) b.ep.setRemote({ address: media.address, port: media.port }, media.rtcp);
          if (codec) b.ep.setCodec(codec);
          for (const other of branches) if (other !== b) other.invite.cancel(COMPLETED_ELSEWHERE);
          return;
        }
        if (r.dialog) void r.dialog.bye();
        b.ep.close();
      }),
    );
    o.clock.clearTimeout(timer);
    return winner ? { winner, status: 200 } : { status: bestFinalStatus(statuses) };
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
      await Promise.all((this.#legs ?? []).map((l) => (l.gone ? undefined : l.dialog.bye())));
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
    // A leg handed over to another call (attended transfer) keeps its media endpoint.
    const kept = new Set((this.#legs ?? []).filter((l) => l.moved).map((l) => l.ep));
    const endpoints = [
      this.#callerEndpoint,
      ...this.#branches.map((b) => b.endpoint),
      ...(this.#legs ?? []).map((l) => l.ep),
    ];
    for (const ep of endpoints) if (ep && !kept.has(ep)) ep.close();
    for (const l of this.#legs ?? []) this.#dialogs.remove(l);
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

interface Leg {
  dialog: Dialog;
  ep: MediaEndpoint;
  party: Party;
  role: 'caller' | 'callee';
  /** Transferred away: its dialog ending no longer ends the call. */
  gone?: boolean;
  /** Handed over to another call by an attended transfer. */
  moved?: boolean;
}

interface LegRegistry {
  add(leg: Leg, call: Call): void;
  remove(leg: Leg): void;
  find(id: { callId: string; localTag: string; remoteTag: string }): { call: Call; leg: Leg } | undefined;
}

function dialogKey(id: { callId: string; localTag: string; remoteTag: string }): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** RFC 3891 section 6.1: `call-id;to-tag=...;from-tag=...[;early-only]`. */
export function parseReplaces(
  v: string,
): { callId: string; toTag: string; fromTag: string; earlyOnly: boolean } | undefined {
  const [callId, ...params] = v.split(';').map((x) => x.trim());
  if (!callId) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of params) {
    const [k, val] = p.split('=').map((x) => x.trim());
    if (k?.toLowerCase() === 'to-tag') toTag = val;
    else if (k?.toLowerCase() === 'from-tag') fromTag = val;
    else if (k?.toLowerCase() === 'early-only') earlyOnly = true;
  }
  return toTag && fromTag ? { callId, toTag, fromTag, earlyOnly } : undefined;
}

function nameAddr(p: Party, domain: string): string {
  return `${p.name ? `${quote(p.name)} ` : ''}<sip:${p.number}@${domain}>`;
}

/** RFC 3515 section 2.4.5: transfer progress as NOTIFY with a sipfrag of the status line. */
function notifySipfrag(dialog: Dialog, statusLine: string, final: boolean): Promise<SipResponse | undefined> {
  if (dialog.state === 'terminated') return Promise.resolve(undefined);
  return dialog
    .request('NOTIFY', {
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=60'],
      ],
      body: Buffer.from(`${statusLine}\r\n`),
      contentType: 'message/sipfrag;version=2.0',
    })
    .catch(() => undefined);
}

/** Where one branch of a call goes: a registered device, or a trunk. */
interface Target {
  /** For labels and logs: the device username or the trunk id. */
  label: string;
  /** The device that rings, when the target is one. */
  device?: string;
  flow: Flow;
  requestUri: string;
  from?: string;
  to?: string;
  headers?: Array<[string, string]>;
}

function deviceTarget(b: RegistrationRecord): Target {
  return { label: b.username, device: b.username, flow: flowOf(b), requestUri: b.contact };
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
