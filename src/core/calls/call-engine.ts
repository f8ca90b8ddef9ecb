import { randomBytes } from 'node:crypto';
import { parseNameAddr, isSipUri } from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import { DEFAULT_SESSION_TIMER } from '../../sip/ua/session-timer.js';
import type { DeviceRecord, TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { TenantPlan } from '../directory/directory.js';
import type { Party } from '../events/types.js';
import { FeatureCodeRegistry, normaliseDialString, resolveDialString, type Route } from '../routing/index.js';
import { admitExternal } from './external-admission.js';
import { planRequest } from './external-targets.js';
import type { InboundRoute } from './external-routes.js';
import { DivertServices } from './service-handlers.js';
import type { DivertHandler, FeatureHandler, FeatureInvocation, ServiceNumbers } from './service-handlers.js';
import type { CallEngineOptions, EngineDeps } from './engine-deps.js';
import { SrtpCallees } from './srtp-callees.js';
import { mediaOf } from './leg-media.js';
import { refuseBriefSession } from './session-refresh.js';
import { traceDecision } from '../trace/call-trace.js';
import { Call } from './call.js';
import { ThirdPartyControl, type CallMeta } from './call-control.js';
import { LiveCalls } from './live-calls.js';
import { answerQueued, type QueuedCall } from './queue.js';
import { HeldCalls, type HeldRingResult } from './held-calls.js';
import type { ReferFeatureHandler } from './refer-feature.js';
import { decodeUser } from './sip-helpers.js';
import type { RingPlan, TerminatingService } from './ring-plan.js';
import { ringOnce, TerminatingPlans } from './terminating.js';
import { deviceTarget, trunkTarget, type Target } from './targets.js';
export type { CallEngineOptions } from './engine-deps.js';

/**
 * The B2BUA call engine (first cut): an INVITE from an authenticated device becomes a Call with one caller leg
 * (our UAS dialog) and, while ringing, one forked UAC branch per registered contact of the dialled workplace.
 * The first branch to answer wins; the others are cancelled with "Call completed elsewhere" (RFC 3326 Reason).
 * Media is anchored: each leg gets its own RTP port pair and the relay bridges them.
 */
export class CallEngine {
  readonly #o: EngineDeps;
  readonly #calls = new LiveCalls();
  /** Feature-code handlers by the id the code was registered under (FeatureCodeRegistry). */
  readonly #featureHandlers = new Map<string, FeatureHandler>();
  #serviceNumbers: ServiceNumbers[] = [];
  readonly #divertServices = new DivertServices();
  readonly #plans: TerminatingPlans;
  /** What the call views of third-party control show beyond the Call itself. */
  readonly #meta = new WeakMap<Call, CallMeta>();
  /** What runs when a call ends, besides forgetting it (the toll-fraud concurrency slot of an external call). */
  readonly #onEnded = new Map<Call, () => void>();
  readonly #control: ThirdPartyControl;
  readonly #held: HeldCalls;

  constructor(opts: CallEngineOptions) {
    this.#o = {
      ringTimeoutMs: 30_000,
      mediaTimeoutMs: 60_000,
      sessionTimer: DEFAULT_SESSION_TIMER,
      ...opts,
      features: opts.features ?? new FeatureCodeRegistry(),
      external: opts.external,
      referToFeature: (tx, transferor, route) => this.#held.referToFeature(tx, transferor, route),
      trace: opts.trace,
      externalPolicy: opts.externalPolicy,
      srtpCallees: new SrtpCallees(opts.log),
    };
    this.#plans = new TerminatingPlans({
      directory: this.#o.directory,
      external: this.#o.external,
      externalPolicy: this.#o.externalPolicy,
      devicesOf: async (tenantId, extension) =>
        this.#devicesOf(await this.#o.directory.plan(tenantId), tenantId, extension),
    });
    this.#held = new HeldCalls({
      deps: this.#o,
      callOf: (leg) => this.#calls.dialogs.find(leg.dialog.id)?.call,
      create: (x) => void this.#newCall(x),
      plan: (req) => this.#plans.plan(req),
      divertService: (name) => this.#divertServices.get(name),
    });
    this.#control = new ThirdPartyControl({
      deps: this.#o,
      calls: (tenantId) => this.#calls.inTenant(tenantId),
      meta: (call) => this.#meta.get(call) ?? { since: 0 },
      create: (meta) => (x) => this.#newCall(x, meta),
      devicesOf: (plan, tenantId, extension) => this.#devicesOf(plan, tenantId, extension),
      ringPlan: (req) => this.#plans.plan(req),
    });
  }

  /**
   * Adds a service that shapes calls to workplaces (executive filtering, forwarding): asked in registration
   * order for each call, the first plan wins (ring-plan.ts).
   */
  addTerminatingService(s: TerminatingService): void {
    this.#plans.add(s);
  }

  /** Registers the handler of a blind REFER to feature-code id `id` (call park, refer-feature.ts). */
  onReferFeature(id: string, handler: ReferFeatureHandler): void {
    this.#held.onReferFeature(id, handler);
  }

  /**
   * The newest call the dialling workplace holds leaves it: its other side becomes a call the server holds for
   * `service` (call park dialled as a code from another line); the holding phone's leg gets BYE. Undefined when
   * the workplace holds no call of its tenant.
   */
  takeHeld(inv: FeatureInvocation, service: Party): QueuedCall | undefined {
    const wp = inv.device.workplaceExtension;
    return this.#held.takeHeld(this.#calls.all(), inv.tenant, wp, service, inv.log, inv.incoming.request);
  }

  /** Rings a call the server holds to workplace `callee` by its ring plan (held-calls.ts; a park recall). */
  ringHeld(held: QueuedCall, callee: Party, log: Logger): Promise<HeldRingResult> {
    return this.#held.ring(held, callee, { log });
  }

  /** Registers the handler of a ring plan's 'service' step (e.g. 'voicemail'). */
  onDivertService(name: string, handler: DivertHandler): void {
    this.#divertServices.register(name, handler);
  }

  /**
   * Third-party call control (call-control.ts): what the HTTP API does to a workplace's calls. The composition
   * root sets its hooks (setCallAsPolicy, setGroupPickup).
   */
  get control(): ThirdPartyControl {
    return this.#control;
  }

  /** The registry services add their codes to (the dial plan resolves against it). */
  get features(): FeatureCodeRegistry {
    return this.#o.features;
  }

  /** Registers the handler of a feature-code id; the code itself goes into `features`. */
  onFeature(id: string, handler: FeatureHandler): void {
    if (this.#featureHandlers.has(id)) throw new Error(`feature handler ${id} is already registered`);
    this.#featureHandlers.set(id, handler);
  }

  /** Adds a source of service numbers (asked, in order, before a dialled string is taken as unknown). */
  addServiceNumbers(s: ServiceNumbers): void {
    this.#serviceNumbers.push(s);
  }

  /** Live calls, for the leak checks. */
  count(): number {
    return this.#calls.size;
  }

  /** Hangs up every call (shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all(this.#calls.all().map((c) => c.hangup('failed')));
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
    const replaces = req.headers.get('Replaces');
    if (replaces !== undefined) {
      await this.#calls.replace(incoming, tenant.id, caller, replaces);
      return;
    }
    const dialled = isSipUri(req.uri) ? decodeUser(req.uri.user ?? '') : '';
    const route = await this.#resolve(tenant.id, plan, dialled);
    const log = o.log.child({ tenant: tenant.id, callId: req.headers.get('Call-ID') });

    if (
      route.kind === 'invalid' &&
      (await this.#toService(incoming, tenant, caller, normaliseDialString(dialled), log))
    )
      return;
    if (route.kind === 'invalid') {
      log.info({ event: 'call.rejected', dialled, reason: route.reason }, 'no route');
      traceDecision(o.trace, tenant.id, req.headers.get('Call-ID'), `refused: ${dialled} (${route.reason})`);
      incoming.reject(404, {
        reason: route.reason === 'unknown feature code' ? 'Unknown Feature Code' : 'Not Found',
      });
      return;
    }
    if (route.kind === 'feature') {
      const handler = this.#featureHandlers.get(route.handler);
      if (!handler) {
        incoming.reject(404, { reason: 'Feature Not Available' });
        return;
      }
      log.info({ event: 'call.feature', code: route.code, handler: route.handler }, 'feature code');
      traceDecision(
        o.trace,
        tenant.id,
        req.headers.get('Call-ID'),
        `feature code ${route.code} → ${route.handler}`,
      );
      await handler({
        tenant,
        device,
        caller,
        code: route.code,
        ...(route.argument !== undefined ? { argument: route.argument } : {}),
        incoming,
        log,
      });
      return;
    }
    if (route.kind === 'external') {
      const from = device.workplaceExtension;
      await this.#dialExternal(
        incoming,
        { tenant, caller, workplace: from, presentAs: from, log },
        route.number,
      );
      return;
    }
    const calleeWp = plan.workplace(route.extension)!;
    const callee: Party = { workplace: calleeWp.extension, number: calleeWp.extension, name: calleeWp.name };
    const ringPlan = await this.#plans.plan(planRequest(tenant, caller, callee, 'internal', incoming));
    await this.#start(incoming, tenant, caller, callee, ringPlan, log);
  }

  /**
   * Takes the ringing call `callId` of the picker's tenant (directed or group pickup; the pickup feature chose
   * it). Answers the picker's INVITE exactly once: 480 when the call no longer rings (answered meanwhile,
   * another tenant's, unknown).
   */
  pickUp(inv: FeatureInvocation, callId: string, kind: 'directed' | 'group'): Promise<void> {
    return this.#calls.pickUp(inv.incoming, inv.tenant.id, inv.caller, callId, kind);
  }

  /**
   * Call pull (`*11`): the dialling workplace's own answered call, held by another of its devices, moves to the
   * dialling device (the newest such call when there are several); the other party stays connected. 480 when
   * the workplace has no call on another device.
   */
  pull(inv: FeatureInvocation): Promise<void> {
    const { device } = inv;
    return this.#calls.pull(
      inv.incoming,
      inv.tenant.id,
      inv.caller,
      device.workplaceExtension,
      device.username,
    );
  }

  /**
   * The SIP identifiers of the leg an INVITE with Replaces will name to pick up (ringing) or take over (answered)
   * call `callId` at `workplace`, from that workplace's device's point of view (RFC 4235: local = the device's
   * side). For dialog-info (BLF). Undefined when the call is unknown, another tenant's, or not at `workplace`.
   */
  pickupLegOf(
    tenantId: string,
    callId: string,
    workplace: string,
  ): { callId: string; localTag: string; remoteTag: string } | undefined {
    return this.#calls.byId(tenantId, callId)?.pickupLegOf(workplace);
  }

  /** Hands a call to a service number's owner; false when no service owns `dialled` in this tenant. */
  async #toService(
    incoming: IncomingInvite,
    tenant: TenantRecord,
    caller: Party,
    dialled: string,
    log: Logger,
  ): Promise<boolean> {
    for (const s of this.#serviceNumbers) {
      const handler = await s.lookup(tenant.id, dialled);
      if (handler) {
        await handler({ tenant, caller, number: dialled, incoming, log });
        return true;
      }
    }
    return false;
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
      // A DID may name a service's number (a call-center group) instead of a workplace.
      const caller: Party = { number: route.callerNumber };
      if (await this.#toService(incoming, tenant, caller, route.extension, log)) return;
      incoming.reject(404, { reason: 'Number Not Assigned' });
      return;
    }
    const callee: Party = { workplace: wp.extension, number: wp.extension, name: wp.name };
    const caller: Party = { number: route.callerNumber };
    const ringPlan = await this.#plans.plan(planRequest(tenant, caller, callee, 'external', incoming));
    await this.#start(incoming, tenant, caller, callee, ringPlan, log);
  }

  /**
   * Answers a service's call with the server's own media and keeps it as a queued Call (queue.ts): the call
   * center plays to it and offers it to agents. Undefined when it could not be answered (the INVITE got its
   * final response).
   */
  answerQueued(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ): Promise<QueuedCall | undefined> {
    return answerQueued(this.#o, { ...x, incoming }, (c) => this.#newCall(c, { queue: x.service.number }));
  }

  #newCall(
    x: Omit<ConstructorParameters<typeof Call>[0], 'engine' | 'onEnd' | 'dialogs' | 'divert'>,
    meta: Omit<CallMeta, 'since'> = {},
  ): Call {
    const sipCallId = x.incoming.request.headers.get('Call-ID');
    if (sipCallId !== undefined) this.#o.trace?.callerLeg(x.tenant.id, x.id, sipCallId);
    let call: Call | undefined = undefined;
    call = new Call({
      ...x,
      engine: this.#o,
      divert: (step, incoming) => this.#divertServices.divert(step, incoming, x),
      // A queued call whose caller already hung up may end inside the constructor (call is not yet set).
      onEnd: () => {
        if (!call) return;
        this.#calls.delete(call);
        this.#onEnded.get(call)?.();
        this.#onEnded.delete(call);
      },
      dialogs: this.#calls.dialogs,
    });
    if (call.state !== 'ended') this.#calls.add(call);
    this.#meta.set(call, { ...meta, since: this.#o.clock.now() });
    return call;
  }

  /** What `dialled` means in this tenant (its extensions, feature codes and outside-line prefix). */
  async #resolve(tenantId: string, plan: TenantPlan, dialled: string): Promise<Route> {
    const externalPrefix = await this.#o.external?.externalPrefix?.(tenantId);
    return resolveDialString({
      dialled,
      extensions: plan.extensions,
      registry: this.#o.features,
      ...(externalPrefix !== undefined ? { externalPrefix } : {}),
    });
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
    plan: RingPlan,
    log: Logger,
    onEnd?: () => void,
  ): Promise<void> {
    const req = incoming.request;
    const offer = req.body.length > 0 ? req.body.toString('utf8') : '';
    // No body at all is a late offer (RFC 3261 section 13.2.1), handled by the Call; a body we cannot use is 488.
    if (offer && !mediaOf(offer)) {
      onEnd?.();
      incoming.reject(488, { reason: 'Not Acceptable Here' });
      return;
    }
    if (refuseBriefSession(incoming, this.#o.sessionTimer)) return onEnd?.();
    const call = this.#newCall({ id: randomBytes(8).toString('hex'), tenant, caller, callee, incoming, log });
    this.#o.trace?.note(
      call.id,
      `route ${caller.number} → ${callee.workplace !== undefined ? 'workplace' : 'external'} ${callee.number}`,
    );
    if (onEnd) {
      if (call.state === 'ended') onEnd();
      else this.#onEnded.set(call, onEnd);
    }
    await call.start(offer, plan);
  }

  /**
   * An external number through the trunk, presenting `presentAs`'s external number, after the toll-fraud check of
   * `workplace` (external-admission.ts): 403 without a trunk, the refusal announcement when the limits say no.
   */
  async #dialExternal(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; workplace: string; presentAs: string; log: Logger },
    number: string,
  ): Promise<void> {
    const o = this.#o;
    const trunk = await o.external?.outbound(x.tenant.id, x.presentAs, number);
    if (!trunk) {
      incoming.reject(403, { reason: 'No Trunk For External Calls' });
      return;
    }
    const admitted = { tenant: x.tenant, workplace: x.workplace, dialled: number, trunk, log: x.log };
    const release = await admitExternal(o, incoming, admitted);
    if (!release) return;
    const callee: Party = { number };
    await this.#start(
      incoming,
      x.tenant,
      x.caller,
      callee,
      ringOnce(callee, [trunkTarget(trunk)]),
      x.log,
      release,
    );
  }

  /**
   * Call push (`#63`): the newest call the dialling workplace holds is offered to `to`'s devices for `recallMs`
   * (no terminating service: the executive's filter is bypassed), then rings the dialling workplace again; the
   * workplace's held leg is released. False when it holds no call of its tenant (the INVITE is left unanswered).
   */
  async push(inv: FeatureInvocation, to: Party, recallMs: number): Promise<boolean> {
    const workplace = inv.device.workplaceExtension;
    if (to.workplace === undefined) return false;
    const plan = await this.#o.directory.plan(inv.tenant.id);
    // The recall rings every device of the workplace, not only the one that dialled the code.
    const { device: _device, ...back } = inv.caller;
    return this.#calls.push(inv.tenant.id, workplace, [
      { party: to, targets: this.#devicesOf(plan, inv.tenant.id, to.workplace), timeoutMs: recallMs },
      { party: back, targets: this.#devicesOf(plan, inv.tenant.id, workplace) },
    ]);
  }

  /**
   * Places a feature code's INVITE as a call to `dialled` from `caller` (an assistant calling as its executive):
   * a workplace through its terminating services, an external number through the trunk presenting `trunkAs`'s
   * external number. Feature codes and service numbers are not dialled this way (404).
   */
  async dialAs(inv: FeatureInvocation, caller: Party, trunkAs: string, dialled: string): Promise<void> {
    const o = this.#o;
    const { tenant, incoming, log } = inv;
    const plan = await o.directory.plan(tenant.id);
    const route = await this.#resolve(tenant.id, plan, dialled);
    if (route.kind === 'external') {
      // The dialling workplace answers for the call (toll-fraud limits); the trunk presents the executive.
      const workplace = inv.device.workplaceExtension;
      await this.#dialExternal(
        incoming,
        { tenant, caller, workplace, presentAs: trunkAs, log },
        route.number,
      );
      return;
    }
    const wp = route.kind === 'workplace' ? plan.workplace(route.extension) : undefined;
    if (!wp) {
      incoming.reject(404, { reason: 'Not Found' });
      return;
    }
    const callee: Party = { workplace: wp.extension, number: wp.extension, name: wp.name };
    const ringPlan = await this.#plans.plan(planRequest(tenant, caller, callee, 'internal', incoming));
    await this.#start(incoming, tenant, caller, callee, ringPlan, log);
  }
}
