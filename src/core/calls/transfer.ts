import { ringbackTone } from '../../media/audio/tone.js';
import { canPlayCodec, type MediaEndpoint, type MediaPlayer, type SdpFormat } from '../../media/index.js';
import {
  createResponse,
  isSipUri,
  parseNameAddr,
  reasonPhrase,
  type SipResponse,
} from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Dialog } from '../../sip/ua/index.js';
import type { Party } from '../events/types.js';
import { resolveDialString } from '../routing/index.js';
import type { CallCore } from './call-core.js';
import { Fork, ForkBranch } from './fork.js';
import { Leg } from './leg.js';
import { applyAnswer, negotiatedFormats, offerOn } from './leg-media.js';
import { playableLeg } from './renegotiate.js';
import { decodeUser, parseReplaces, replacesCandidates, responseFor } from './sip-helpers.js';
import { deviceTarget, nameAddr, type Target } from './targets.js';
import { inviteLeg } from './session-refresh.js';

/** RFC 3515 section 2.4.5: transfer progress as NOTIFY with a sipfrag of the status line. */
export function notifySipfrag(
  dialog: Dialog,
  statusLine: string,
  final: boolean,
): Promise<SipResponse | undefined> {
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

/** How long a transferor may take to hang up after the final NOTIFY before we end its dialog ourselves. */
export const TRANSFEROR_BYE_GRACE_MS = 2_000;

/**
 * Releases the transferor once its transfer is done: the final NOTIFY, after which the transferor hangs up (RFC
 * 5589 section 6); only when it has not sent its BYE within the grace time do we send ours, so the two BYEs never
 * cross (the later one would get 481).
 */
export function release(core: CallCore, transferor: Leg, statusLine = 'SIP/2.0 200 OK'): void {
  transferor.ep.close();
  void notifySipfrag(transferor.dialog, statusLine, true).then(() => {
    if (transferor.dialog.state === 'terminated') return;
    const clock = core.deps.clock;
    const timer = clock.setTimeout(() => {
      if (transferor.dialog.state !== 'terminated') void transferor.dialog.bye();
    }, TRANSFEROR_BYE_GRACE_MS);
    transferor.dialog.onTerminated(() => clock.clearTimeout(timer));
  });
}

/** One step of a hand-over: whom to ring, and for how long (default: the engine's ring timeout). */
export interface HandOffStage {
  party: Party;
  targets: Target[];
  timeoutMs?: number;
}

/** Where a transfer by third-party call control goes: one stage. */
export type TransferDestination = HandOffStage;

/** How a transferor hears of its transfer and is let go (REFER: NOTIFYs; third-party call control: BYE). */
export interface TransferorRelease {
  /** Nobody answered (`status`): the transferor stays in the call. */
  failed(status: number): void;
  /** The transfer succeeded: the transferor's leg (now replaced) is let go. */
  release(transferor: Leg): void;
}

type RingResult = { winner?: { dialog: Dialog; ep: MediaEndpoint; device?: string }; status: number };

/** REFER handling (RFC 3515) for one call: one transfer at a time. */
export class Transfers {
  readonly #core: CallCore;
  #busy = false;
  #fork: Fork | undefined;

  constructor(core: CallCore) {
    this.#core = core;
  }

  /** The call ended: a blind transfer still ringing its target stops. */
  stop(): void {
    this.#fork?.cancel();
  }

  async onRefer(tx: ServerTransaction, transferor: Leg): Promise<void> {
    const referTo = parseNameAddr(tx.request.headers.get('Refer-To') ?? '');
    if (!referTo || !isSipUri(referTo.uri)) {
      tx.respond(responseFor(tx.request, 400));
      return;
    }
    const replaces = [...referTo.uri.headers].find(([k]) => k.toLowerCase() === 'replaces')?.[1];
    if (this.#busy) {
      tx.respond(createResponse(tx.request, 491, 'Transfer In Progress'));
      return;
    }
    if (replaces !== undefined) {
      this.#attended(tx, transferor, replaces);
      return;
    }
    await this.#blind(tx, transferor, decodeUser(referTo.uri.user ?? ''));
  }

  /**
   * Blind transfer: the REFER names a workplace of the same tenant; the transferor's peer (the transferee) hears
   * ringback while the target's devices ring, then is bridged to whoever answers. Progress goes to the transferor
   * as NOTIFY with a message/sipfrag body; on success its leg is released with BYE.
   */
  async #blind(tx: ServerTransaction, transferor: Leg, dialled: string): Promise<void> {
    const core = this.#core;
    const o = core.deps;
    const plan = await o.directory.plan(core.tenant.id);
    const route = resolveDialString({ dialled, extensions: plan.extensions, registry: o.features });
    // A feature code a service takes REFERs for (call park): the service answers the REFER.
    if (route.kind === 'feature' && (await o.referToFeature(tx, transferor, route))) return;
    const target = route.kind === 'workplace' ? plan.workplace(route.extension) : undefined;
    if (!target) {
      tx.respond(createResponse(tx.request, 404, 'Transfer Target Not Found'));
      return;
    }
    const bindings = plan
      .devicesOf(target.extension)
      .flatMap((d) => o.location.lookup(core.tenant.id, d.username));
    if (bindings.length === 0) {
      tx.respond(createResponse(tx.request, 480, 'Transfer Target Not Registered'));
      return;
    }
    tx.respond(responseFor(tx.request, 202));
    void notifySipfrag(transferor.dialog, 'SIP/2.0 100 Trying', false);
    const targetParty: Party = { workplace: target.extension, number: target.extension, name: target.name };
    await this.retarget(
      transferor,
      { party: targetParty, targets: bindings.map(deviceTarget) },
      {
        failed: (status) =>
          void notifySipfrag(transferor.dialog, `SIP/2.0 ${status} ${reasonPhrase(status)}`, true),
        release: (leg) => release(core, leg),
      },
    );
  }

  /** A transfer is under way (one at a time per call). */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * The transferee (the other side of `transferor`) hears ringback while `dest` rings, then is bridged to whoever
   * answers and the transferor is let go (`how.release`); nobody answering reconnects the transferor (RFC 3515
   * leaves its call up), or ends the call if it hung up meanwhile. True when the transfer succeeded. Callers
   * check `busy` first.
   */
  retarget(transferor: Leg, dest: TransferDestination, how: TransferorRelease): Promise<boolean> {
    this.#busy = true;
    // From here the transferor may hang up at any time without ending the call it hands on.
    transferor.to('transferring');
    return this.#handOff(transferor, [dest], how);
  }

  /**
   * Call push (docs/feature-codes.md, "Executive and assistants"): the other side of `transferor` (a held call)
   * rings at each stage in turn — the executive for the recall time, then the pushing workplace again — and is
   * connected to whoever answers, exactly as a blind transfer; the transferor's own leg is released at once
   * (its phone dialled the push code from another line). False when a transfer is already under way.
   */
  push(transferor: Leg, stages: HandOffStage[]): boolean {
    if (this.#busy || !transferor.active) return false;
    this.#busy = true;
    transferor.to('transferring');
    transferor.ep.close();
    void transferor.dialog.bye();
    // Its leg is gone already: nothing to tell it, nothing to release.
    void this.#handOff(transferor, stages, { failed: () => undefined, release: () => undefined });
    return true;
  }

  /**
   * The transferee hears ringback while each stage's targets ring in turn; the first answer is bridged to it in
   * the transferor's place. Nobody answered: a transferor still on the line is reconnected (RFC 3515 leaves its
   * call up), otherwise the call ends.
   */
  async #handOff(transferor: Leg, stages: HandOffStage[], how: TransferorRelease): Promise<boolean> {
    const core = this.#core;
    const transferee = core.other(transferor);
    // The transferee hears ringback (replacing any music on hold the transferor started).
    core.holds.forget(transferor);
    // The target is offered the codec the transferee's phone chose, taken before ringback may narrow its leg.
    const preferred = negotiatedFormats(transferee.ep);
    const ringback = this.#ringback(transferee);
    let won: RingResult = { status: 480 };
    let targetParty: Party | undefined;
    for (const stage of stages) {
      targetParty = stage.party;
      won =
        stage.targets.length === 0
          ? { status: 480 }
          : await this.#ring(stage.targets, transferee.party, stage.party, preferred, stage.timeoutMs);
      if (won.winner || !core.isAnswered()) break;
    }
    ringback.stop();
    this.#busy = false;
    this.#fork = undefined;
    if (!core.isAnswered()) {
      if (won.winner) {
        void won.winner.dialog.bye();
        won.winner.ep.close();
      }
      return false;
    }
    if (!won.winner || !targetParty) {
      how.failed(won.status);
      if (transferor.dialog.state === 'terminated' || transferor.ep.closed) {
        void core.hangup('completed');
      } else {
        // RFC 3515 leaves the transferor's call up when the transfer fails: reconnect the two.
        transferor.to('connected');
        core.bridge(transferee.ep, transferor.ep);
        core.match(transferor, transferee);
      }
      return false;
    }
    const w = won.winner;
    transferor.to('replaced');
    const party: Party = { ...targetParty, ...(w.device ? { device: w.device } : {}) };
    completeTransfer(
      core,
      transferor,
      transferee,
      { dialog: w.dialog, ep: w.ep, party, ownsCallId: true },
      'blind',
      how.release,
    );
    return true;
  }

  /**
   * Ringback to the transferee in the codec its leg negotiated; a leg the player cannot encode for (Opus) is
   * re-negotiated to PCMU first, and hears nothing if it refuses — never packets of a format it did not agree to.
   */
  #ringback(to: Leg): { stop(): void } {
    const o = this.#core.deps;
    let player: MediaPlayer | undefined;
    let stopped = false;
    void playableLeg(to, o.clock).then((ok) => {
      if (!ok || stopped || to.ep.closed || !canPlayCodec(to.ep.codec)) return;
      player = o.media.play(to.ep, ringbackTone(), { loop: true });
    });
    return {
      stop: () => {
        stopped = true;
        player?.stop();
      },
    };
  }

  /**
   * Rings every target with our own offer (the transferee's side has no offer to pass on), listing the
   * transferee's formats first so the target can pick the codec the transferee already sends.
   */
  async #ring(
    targets: Target[],
    from: Party,
    to: Party,
    preferred: readonly SdpFormat[],
    timeoutMs?: number,
  ): Promise<RingResult> {
    const core = this.#core;
    const o = core.deps;
    const branches = await Promise.all(
      targets.map(async (target) => {
        const ep = await o.media.allocate(`${core.id}:${target.label}`);
        // A trunk target brings its own identities and credentials, as in ringing.ts.
        const invite = inviteLeg(
          o,
          target,
          {
            flow: target.flow,
            requestUri: target.requestUri,
            from: target.from ?? nameAddr(from, core.tenant.domain),
            to: target.to ?? nameAddr(to, core.tenant.domain),
            ...(target.headers ? { headers: target.headers } : {}),
          },
          { endpoint: ep, make: () => offerOn(ep, preferred) },
        );
        const sipCallId = invite.request.headers.get('Call-ID');
        if (sipCallId !== undefined) o.trace?.leg(core.id, sipCallId, `${target.label} (transfer)`);
        return new ForkBranch(target, ep, invite);
      }),
    );
    const fork = new Fork(branches, { clock: o.clock, timeoutMs: timeoutMs ?? o.ringTimeoutMs });
    this.#fork = fork;
    const r = await fork.result;
    if (r.kind !== 'answered') return { status: r.kind === 'failed' ? r.status : 480 };
    applyAnswer(r.branch.endpoint, r.response.body.toString('utf8'));
    return {
      winner: {
        dialog: r.dialog,
        ep: r.branch.endpoint,
        ...(r.branch.target.device ? { device: r.branch.target.device } : {}),
      },
      status: 200,
    };
  }

  /**
   * Attended transfer (RFC 3515 with RFC 3891 Replaces in the Refer-To): the transferor talks to the transferee
   * in this call and to the target in another call of the same tenant, whose dialog the Replaces names. The
   * target's leg moves into this call in the transferor's place, the transferee is bridged to it, and both of the
   * transferor's legs are released.
   */
  #attended(tx: ServerTransaction, transferor: Leg, replaces: string): void {
    const core = this.#core;
    const id = parseReplaces(decodeUser(replaces));
    const found = id
      ? replacesCandidates(id)
          .map((c) => core.dialogs.find(c))
          .find((f) => f !== undefined)
      : undefined;
    if (!found || found.call.id === core.id || found.call.tenant.id !== core.tenant.id) {
      tx.respond(createResponse(tx.request, 481, 'Replaced Dialog Not Found'));
      return;
    }
    const target = found.call.handOver(found.leg);
    if (!target) {
      tx.respond(createResponse(tx.request, 481, 'Replaced Dialog Not Connected'));
      return;
    }
    tx.respond(responseFor(tx.request, 202));
    this.join(transferor, target, (leg) => release(core, leg));
  }

  /**
   * The end of an attended transfer: `target` (handed over by the consultation call) takes the transferor's
   * place, bridged to the transferee; the transferor is let go with `releaseTransferor`.
   */
  join(transferor: Leg, target: Leg, releaseTransferor: (transferor: Leg) => void): void {
    const core = this.#core;
    const transferee = core.other(transferor);
    transferor.to('replaced');
    core.holds.stopAll();
    completeTransfer(core, transferor, transferee, target, 'attended', releaseTransferor);
  }
}

/**
 * The transferee is bridged to the new party, whose leg takes the transferor's place. The transferee's leg takes
 * the new party's codec if the relay cannot bridge them, and its phone learns who it talks to now (RFC 4916
 * practice: connected identity in a mid-dialog request).
 */
function completeTransfer(
  core: CallCore,
  transferor: Leg,
  transferee: Leg,
  target: { dialog: Dialog; ep: MediaEndpoint; party: Party; ownsCallId: boolean },
  kind: 'blind' | 'attended',
  releaseTransferor: (transferor: Leg) => void,
): void {
  core.bridge(transferee.ep, target.ep);
  const next = new Leg({
    dialog: target.dialog,
    ep: target.ep,
    party: target.party,
    role: transferor.role,
    ownsCallId: target.ownsCallId,
  });
  core.swapLeg(transferor, next);
  releaseTransferor(transferor);
  core.match(next, transferee, next.party);
  const o = core.deps;
  o.bus.emit({
    type: 'call.transferred',
    tenantId: core.tenant.id,
    callId: core.id,
    at: o.clock.now(),
    by: transferor.party,
    to: next.party,
    kind,
  });
}
