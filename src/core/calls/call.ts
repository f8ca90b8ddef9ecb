import { musicOnHold } from '../../media/audio/music-on-hold.js';
import { ringbackTone } from '../../media/audio/tone.js';
import {
  answerFor,
  negotiatedCodec,
  offerFor,
  rewriteSdp,
  type MediaEndpoint,
  type MediaPlayer,
  type Answer,
} from '../../media/index.js';
import {
  createResponse,
  parseNameAddr,
  reasonPhrase,
  isSipUri,
  tagOf,
  type SipRequest,
} from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Party } from '../events/types.js';
import { resolveDialString } from '../routing/index.js';
import { bestFinalStatus, reasonForStatus } from './final-status.js';
import {
  type Branch,
  type CallState,
  COMPLETED_ELSEWHERE,
  type EngineDeps,
  type Leg,
  type LegRegistry,
  type Target,
  decodeUser,
  deviceTarget,
  inviteTo,
  mediaOf,
  nameAddr,
  notifySipfrag,
  okFor,
  responseFor,
  parseReplaces,
} from './call-parts.js';
import {
  type PickupKind,
  type PickupLeg,
  answerOn,
  branchIds,
  connectedIdentityHeaders,
  namesBranch,
} from './pickup.js';
/**
 * One call: the caller's leg (our UAS dialog), the branches ringing while it is offered, and once answered two
 * connected legs whose media the relay bridges. Hold, blind and attended transfer act on the legs; what ending
 * each piece does is in docs/closures.md.
 */
export class Call {
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
  /**
   * The caller's INVITE had no SDP (late offer, RFC 3261 section 13.2.1): the devices get our own offer, and the
   * caller gets our offer in the 200 and answers in its ACK.
   */
  #lateOffer = false;
  /** The branch whose early media (18x with SDP) the caller hears while the call rings. */
  #early: Branch | undefined;
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
      this.#lateOffer = offer === '';
      const rtp = mediaOf(offer);
      if (rtp) this.#callerEndpoint.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
      for (const target of targets) {
        const endpoint = await o.media.allocate(`${this.id}:${target.label}`);
        const branch: Branch = {
          target,
          endpoint,
          done: false,
          earlyTags: [],
          invite: inviteTo(o.ua, target, {
            flow: target.flow,
            requestUri: target.requestUri,
            from: target.from ?? nameAddr(this.caller, this.tenant.domain),
            to: target.to ?? nameAddr(this.callee, this.tenant.domain),
            body: Buffer.from(this.#lateOffer ? offerFor(endpoint) : rewriteSdp(offer, endpoint)),
            contentType: 'application/sdp',
            headers: target.headers ?? [
              ['P-Asserted-Identity', `<sip:${this.caller.number}@${this.tenant.domain}>`],
            ],
          }),
        };
        this.#branches.push(branch);
        branch.invite.onProvisional((res) => {
          const to = parseNameAddr(res.headers.get('To') ?? '');
          const tag = to && tagOf(to);
          if (tag && !branch.earlyTags.includes(tag)) branch.earlyTags.push(tag);
          if (this.#state !== 'ringing') return;
          if (this.#earlyMedia(branch, res.status, res.body)) {
            if (res.status >= 180) this.#emit('call.ringing', target.device);
            return;
          }
          if (res.status >= 180) {
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

  /**
   * Early media: the first branch whose 18x carries an SDP answer (a carrier's ringback or announcement) is
   * bridged to the caller at once, and the caller gets that 18x with our side's SDP, so it plays what it hears
   * instead of its own ringback. Without 100rel (RFC 3262) this answer is provisional; the 200's is final.
   * Later 18x of any branch are passed on without SDP. True when this response was handled here.
   */
  #earlyMedia(branch: Branch, status: number, body: Buffer): boolean {
    if (this.#early || this.#lateOffer || body.length === 0) return Boolean(this.#early);
    const sdp = body.toString('utf8');
    const rtp = mediaOf(sdp);
    const codec = rtp ? negotiatedCodec(rtp) : undefined;
    const callerEp = this.#callerEndpoint;
    if (!rtp || !codec || !callerEp) return false;
    branch.endpoint.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
    branch.endpoint.setCodec(codec);
    callerEp.setCodec(codec);
    this.#early = branch;
    this.#bridge = this.#o.media.bridge(callerEp, branch.endpoint);
    this.#incoming.progress(status === 180 ? 180 : 183, {
      body: Buffer.from(rewriteSdp(sdp, callerEp)),
      contentType: 'application/sdp',
    });
    return true;
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
    if (branch === this.#early) {
      // The branch that gave early media failed: its media stops; another branch may still answer.
      this.#early = undefined;
      this.#bridge?.close();
      this.#bridge = undefined;
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
        // With a late offer the caller chooses its own codec in the ACK (the relay translates G.711 laws).
        if (!this.#lateOffer) callerEp.setCodec(codec);
      }
    }
    this.#bridge = this.#o.media.bridge(callerEp, winner.endpoint);
    this.#answeredAt = this.#o.clock.now();
    this.#emit('call.answered', winner.target.device);
    let callerDialog: Dialog;
    try {
      callerDialog = await this.#incoming.accept({
        body: Buffer.from(this.#lateOffer ? offerFor(callerEp) : rewriteSdp(answerSdp, callerEp)),
        contentType: 'application/sdp',
      });
    } catch {
      // The caller never ACKed our 2xx: the UA core has sent its BYE; end the callee side too.
      void calleeDialog.bye();
      this.#end('failed');
      return;
    }
    if (this.#lateOffer && !this.#takeAckAnswer(callerEp)) {
      // RFC 3264 section 4: our offer in the 200 must be answered in the ACK; without an answer there is no call.
      this.#log.info({ event: 'call.no-answer-in-ack' }, 'late offer: the ACK carried no usable answer');
      void callerDialog.bye();
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

  /** Late offer: the caller's answer to our offer came in its ACK; points the caller's endpoint at it. */
  #takeAckAnswer(ep: MediaEndpoint): boolean {
    const rtp = mediaOf(this.#incoming.ack?.body.toString('utf8') ?? '');
    const codec = rtp ? negotiatedCodec(rtp) : undefined;
    if (!rtp || !codec) return false;
    ep.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
    ep.setCodec(codec);
    return true;
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
    leg.dialog.onAck((ack) => this.#takeAnswerInAck(leg, ack));
    leg.dialog.onRequest((tx) => {
      const m = tx.request.method;
      if (m === 'BYE') {
        tx.respond(okFor(tx.request));
        return;
      }
      if (m === 'INVITE') {
        if (tx.request.body.length === 0) this.#offerInOk(tx, leg);
        else this.#onReinvite(tx, leg.ep, this.#other(leg).ep, leg.party);
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
  /**
   * INVITE with Replaces naming `leg` (or a call pull, `*11`, taking the workplace's call to another of its
   * devices): the new phone takes its place; the replaced phone gets BYE.
   */
  async replaceLeg(
    leg: Leg,
    incoming: IncomingInvite,
    party: Party,
    kind: 'replaces' | 'pull' = 'replaces',
  ): Promise<void> {
    const o = this.#o;
    if (this.#state !== 'answered' || leg.gone) {
      incoming.reject(481, { reason: 'Replaced Dialog Not Found' });
      return;
    }
    const offer = incoming.request.body.toString('utf8');
    const ep = await o.media.allocate(`${this.id}:${party.device ?? party.number}`);
    let ans: Answer;
    try {
      ans = answerFor(offer, ep);
      if (!ans.codec || !ans.remote) throw new Error('no common codec');
    } catch {
      ep.close();
      incoming.reject(488);
      return;
    }
    ep.setRemote({ address: ans.remote.address, port: ans.remote.port }, ans.remote.rtcp);
    ep.setCodec(ans.codec);
    let dialog: Dialog;
    try {
      dialog = await incoming.accept({
        body: Buffer.from(ans.sdp),
        contentType: 'application/sdp',
        headers: connectedIdentityHeaders(this.#other(leg).party, this.tenant.domain),
      });
    } catch {
      ep.close();
      return;
    }
    if (this.#state !== 'answered' || leg.gone) {
      void dialog.bye();
      ep.close();
      return;
    }
    const other = this.#other(leg);
    leg.gone = true;
    for (const p of this.#holds.values()) p.stop();
    this.#holds.clear();
    const newLeg: Leg = { dialog, ep, party, role: leg.role };
    this.#legs = leg.role === 'caller' ? [newLeg, other] : [other, newLeg];
    if (leg.role === 'caller') this.caller = party;
    else this.callee = party;
    this.#bridge = o.media.bridge(other.ep, ep);
    this.#wire(newLeg);
    this.#dialogs.remove(leg);
    void leg.dialog.bye();
    leg.ep.close();
    if (kind === 'pull') {
      o.bus.emit({
        type: 'call.picked-up',
        tenantId: this.tenant.id,
        callId: this.id,
        at: o.clock.now(),
        by: party,
        from: leg.party,
        kind: 'pull',
      });
      return;
    }
    o.bus.emit({
      type: 'call.transferred',
      tenantId: this.tenant.id,
      callId: this.id,
      at: o.clock.now(),
      by: leg.party,
      to: party,
      kind: 'attended',
    });
  }

  get state(): CallState {
    return this.#state;
  }

  get answeredAt(): number | undefined {
    return this.#answeredAt;
  }

  /** Does the Replaces header name an early dialog of one of this ringing call's branches? */
  ringingBranchNamed(id: { callId: string; toTag: string; fromTag: string }): boolean {
    return this.#state === 'ringing' && this.#branches.some((b) => namesBranch(b, id));
  }

  /** The connected leg of `workplace` on a device other than `exceptDevice` (a call pull's source). */
  legOf(workplace: string, exceptDevice: string): Leg | undefined {
    if (this.#state !== 'answered' || !this.#legs) return undefined;
    return this.#legs.find(
      (l) => !l.gone && l.party.workplace === workplace && l.party.device !== exceptDevice,
    );
  }

  /**
   * The leg an INVITE with Replaces would name to take this call from `workplace`, as that workplace's device
   * sees it (RFC 4235: local = the device's side). Ringing: an early branch dialog to one of its devices (Call-ID
   * of the branch, local = the device's To tag, remote = our From tag). Answered: its connected leg.
   */
  pickupLegOf(workplace: string): PickupLeg | undefined {
    if (this.#state === 'ringing') {
      if (this.callee.workplace !== workplace) return undefined;
      for (const b of this.#branches) {
        const tag = b.earlyTags[0];
        if (b.done || !b.target.device || tag === undefined) continue;
        const ids = branchIds(b);
        return { callId: ids.callId, localTag: tag, remoteTag: ids.fromTag };
      }
      return undefined;
    }
    if (this.#state !== 'answered' || !this.#legs) return undefined;
    const leg = this.#legs.find((l) => !l.gone && l.party.workplace === workplace);
    if (!leg) return undefined;
    const id = leg.dialog.id;
    return { callId: id.callId, localTag: id.remoteTag, remoteTag: id.localTag };
  }

  /**
   * Pickup of this ringing call by another phone (`*97`, `*98`, INVITE with Replaces naming a branch). The
   * picker's INVITE is answered from a new media endpoint, the caller's pending INVITE with 200 from its own
   * endpoint (each side negotiates its own codec; the relay translates G.711 laws), every branch gets CANCEL
   * ("Call completed elsewhere", so phones do not log a missed call), and the call goes on as an answered call
   * between the caller and the picker. The picker's 200 OK names the real caller (connectedIdentityHeaders).
   */
  async takeRinging(
    incoming: IncomingInvite,
    picker: Party,
    kind: Exclude<PickupKind, 'pull'>,
  ): Promise<void> {
    const o = this.#o;
    const callerEp = this.#callerEndpoint;
    if (this.#state !== 'ringing' || !callerEp) {
      incoming.reject(480, { reason: 'Call No Longer Ringing' });
      return;
    }
    let pickerEp: MediaEndpoint;
    try {
      pickerEp = await o.media.allocate(`${this.id}:${picker.device ?? picker.number}`);
    } catch {
      incoming.reject(503, { reason: 'No Media Ports' });
      return;
    }
    if (this.#state !== 'ringing') {
      pickerEp.close();
      incoming.reject(480, { reason: 'Call No Longer Ringing' });
      return;
    }
    const offer = incoming.request.body.toString('utf8');
    const pickerAns = offer ? answerOn(offer, pickerEp) : undefined;
    if (!pickerAns) {
      pickerEp.close();
      // Late offer (INVITE without SDP) is not supported, as for any call.
      incoming.reject(488, { reason: offer ? 'No Common Codec' : 'SDP Offer Required' });
      return;
    }
    const callerAns = answerOn(this.#incoming.request.body.toString('utf8'), callerEp);
    if (!callerAns) {
      pickerEp.close();
      // A caller that sent no offer (late offer) would have to answer ours in its ACK: not done for pickup.
      incoming.reject(488, { reason: this.#lateOffer ? 'Caller Sent No Offer' : 'No Common Codec' });
      return;
    }
    this.#state = 'answered';
    o.clock.clearTimeout(this.#ringTimer);
    for (const b of this.#branches) {
      if (!b.done) b.invite.cancel(COMPLETED_ELSEWHERE);
      b.endpoint.close();
    }
    this.#branches = [];
    const rung = this.callee;
    this.callee = picker;
    this.#bridge = o.media.bridge(callerEp, pickerEp);
    this.#answeredAt = o.clock.now();
    o.bus.emit({
      type: 'call.picked-up',
      tenantId: this.tenant.id,
      callId: this.id,
      at: this.#answeredAt,
      by: picker,
      from: rung,
      kind,
    });
    this.#emit('call.answered', picker.device);
    this.#log.info(
      {
        event: 'call.picked-up',
        kind,
        by: picker.device,
        from: rung.workplace,
        callerCodec: callerAns.codec?.encoding,
        pickerCodec: pickerAns.codec?.encoding,
      },
      'picked up',
    );
    const [callerSide, pickerSide] = await Promise.allSettled([
      this.#incoming.accept({ body: Buffer.from(callerAns.sdp), contentType: 'application/sdp' }),
      incoming.accept({
        body: Buffer.from(pickerAns.sdp),
        contentType: 'application/sdp',
        headers: connectedIdentityHeaders(this.caller, this.tenant.domain),
      }),
    ]);
    if (callerSide.status === 'rejected' || pickerSide.status === 'rejected' || this.#state !== 'answered') {
      // One side never ACKed (the UA core sent its BYE) or the caller gave up: release the other side too.
      if (callerSide.status === 'fulfilled') void callerSide.value.bye();
      if (pickerSide.status === 'fulfilled') void pickerSide.value.bye();
      pickerEp.close();
      this.#end('failed');
      return;
    }
    const callerLeg: Leg = { dialog: callerSide.value, ep: callerEp, party: this.caller, role: 'caller' };
    const pickerLeg: Leg = { dialog: pickerSide.value, ep: pickerEp, party: picker, role: 'callee' };
    this.#legs = [callerLeg, pickerLeg];
    this.#wire(callerLeg);
    this.#wire(pickerLeg);
  }

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

  /**
   * An offerless re-INVITE (phones send them to refresh a session or after a transfer): our 200 carries a fresh
   * offer for this leg's endpoint and the phone answers in its ACK (RFC 3261 section 14.2, RFC 3264 section 4),
   * which `#wire` takes. Hold is not changed this way; phones hold with an offer of their own.
   */
  #offerInOk(tx: ServerTransaction, leg: Leg): void {
    leg.answerInAck = true;
    tx.respond(
      responseFor(tx.request, 200, { body: Buffer.from(offerFor(leg.ep)), contentType: 'application/sdp' }),
    );
  }

  /** The answer to our offer in a 200, from the ACK; a missing or unusable answer leaves no media: hang up. */
  #takeAnswerInAck(leg: Leg, ack: SipRequest): void {
    if (!leg.answerInAck) return;
    leg.answerInAck = false;
    const rtp = mediaOf(ack.body.toString('utf8'));
    const codec = rtp ? negotiatedCodec(rtp) : undefined;
    if (!rtp || !codec) {
      this.#log.info({ event: 'call.no-answer-in-ack', side: leg.party.number }, 'no SDP answer in the ACK');
      void this.hangup('completed');
      return;
    }
    leg.ep.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
    leg.ep.setCodec(codec);
  }

  #onReinvite(tx: ServerTransaction, fromEp: MediaEndpoint, toEp: MediaEndpoint, side: Party): void {
    const offer = tx.request.body.toString('utf8');
    let ans: Answer;
    try {
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
