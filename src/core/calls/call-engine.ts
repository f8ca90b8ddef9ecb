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
import type { DivertHandler, FeatureHandler, FeatureInvocation, ServiceNumbers } from './service-handlers.js';
import type { CallEngineOptions, EngineDeps } from './engine-deps.js';
import type { Leg } from './leg.js';
import { mediaOf } from './leg-media.js';
import { refuseBriefSession } from './session-refresh.js';
import { Call } from './call.js';
import { pullSource, ThirdPartyControl, type CallMeta } from './call-control.js';
import { answerQueued, type QueuedCall } from './queue.js';
import { HeldCalls, type HeldRingResult } from './held-calls.js';
import type { ReferFeatureHandler } from './refer-feature.js';
import { decodeUser, dialogKey, parseReplaces, replacesCandidates } from './sip-helpers.js';
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
  readonly #calls = new Set<Call>();
  /** Connected legs by dialog id, so a REFER with Replaces can find the call it names (same tenant only). */
  readonly #legsByDialog = new Map<string, { call: Call; leg: Leg }>();
  /** Feature-code handlers by the id the code was registered under (FeatureCodeRegistry). */
  readonly #featureHandlers = new Map<string, FeatureHandler>();
  #serviceNumbers: ServiceNumbers[] = [];
  readonly #divertServices = new Map<string, DivertHandler>();
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
      callOf: (leg) => this.#legsByDialog.get(dialogKey(leg.dialog.id))?.call,
      create: (x) => void this.#newCall(x),
      plan: (req) => this.#plans.plan(req),
      divertService: (name) => this.#divertServices.get(name),
    });
    this.#control = new ThirdPartyControl({
      deps: this.#o,
      calls: (tenantId) => [...this.#calls].filter((c) => c.tenant.id === tenantId),
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
    return this.#held.takeHeld(this.#calls, inv.tenant, wp, service, inv.log, inv.incoming.request);
  }

  /** Rings a call the server holds to workplace `callee` by its ring plan (held-calls.ts; a park recall). */
  ringHeld(held: QueuedCall, callee: Party, log: Logger): Promise<HeldRingResult> {
    return this.#held.ring(held, callee, { log });
  }

  /** Registers the handler of a ring plan's 'service' step (e.g. 'voicemail'). */
  onDivertService(name: string, handler: DivertHandler): void {
    if (this.#divertServices.has(name)) throw new Error(`divert service ${name} is already registered`);
    this.#divertServices.set(name, handler);
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
    const replaces = req.headers.get('Replaces');
    if (replaces !== undefined) {
      await this.#replace(incoming, tenant, caller, replaces);
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
      this.#traceDecision(tenant.id, req, `refused: ${dialled} (${route.reason})`);
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
      this.#traceDecision(tenant.id, req, `feature code ${route.code} → ${route.handler}`);
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
   * INVITE with Replaces (RFC 3891): the new caller takes the place of the leg the header names, in that call;
   * the replaced phone gets BYE. Only legs of the caller's own tenant can be named; anything else is 481, so the
   * answer reveals nothing about other tenants' calls.
   */
  async #replace(
    incoming: IncomingInvite,
    tenant: TenantRecord,
    caller: Party,
    header: string,
  ): Promise<void> {
    const id = parseReplaces(header);
    // RFC 3891 section 3: to-tag is compared with our local tag, from-tag with the remote one; phones that build
    // the header from dialog-info (BLF) differ in orientation, so the swapped form is accepted too.
    const found = id
      ? replacesCandidates(id)
          .map((c) => this.#legsByDialog.get(dialogKey(c)))
          .find((f) => f !== undefined)
      : undefined;
    if (id && !found) {
      // A ringing call's branch (a BLF key picking up): its early dialog is ours as UAC, so section 3 lets us
      // replace it — the caller is answered, every branch cancelled. Same tenant only.
      const ringing = [...this.#calls].find((c) => c.tenant.id === tenant.id && c.ringingBranchNamed(id));
      if (ringing) {
        await ringing.takeRinging(incoming, caller, 'replaces');
        return;
      }
    }
    if (!id || !found || found.call.tenant.id !== tenant.id) {
      incoming.reject(481, { reason: 'Replaced Dialog Not Found' });
      return;
    }
    // Section 3: early-only names a dialog that must still be early; this one is confirmed.
    if (id.earlyOnly) {
      incoming.reject(486, { reason: 'Dialog Already Answered' });
      return;
    }
    await found.call.replaceLeg(found.leg, incoming, caller);
  }

  /**
   * Takes the ringing call `callId` of the picker's tenant (directed or group pickup; the pickup feature chose
   * it). Answers the picker's INVITE exactly once: 480 when the call no longer rings (answered meanwhile,
   * another tenant's, unknown).
   */
  async pickUp(inv: FeatureInvocation, callId: string, kind: 'directed' | 'group'): Promise<void> {
    const call = this.#callById(inv.tenant.id, callId);
    if (!call || call.state !== 'ringing') {
      inv.incoming.reject(480, { reason: 'Call No Longer Ringing' });
      return;
    }
    await call.takeRinging(inv.incoming, inv.caller, kind);
  }

  /**
   * Call pull (`*11`): the dialling workplace's own answered call, held by another of its devices, moves to the
   * dialling device (the newest such call when there are several); the other party stays connected. 480 when
   * the workplace has no call on another device.
   */
  async pull(inv: FeatureInvocation): Promise<void> {
    const calls = [...this.#calls].filter((c) => c.tenant.id === inv.tenant.id);
    const best = pullSource(calls, inv.device.workplaceExtension, inv.device.username);
    if (!best) {
      inv.incoming.reject(480, { reason: 'No Call To Pull' });
      return;
    }
    await best.call.replaceLeg(best.leg, inv.incoming, inv.caller, 'pull');
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
    return this.#callById(tenantId, callId)?.pickupLegOf(workplace);
  }

  #callById(tenantId: string, callId: string): Call | undefined {
    for (const c of this.#calls) if (c.id === callId && c.tenant.id === tenantId) return c;
    return undefined;
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
      divert: async (step, incoming) => {
        const handler = this.#divertServices.get(step.service);
        if (!handler) {
          incoming.reject(480, { reason: 'Service Unavailable' });
          return;
        }
        await handler({
          tenant: x.tenant,
          caller: x.caller,
          number: step.number,
          incoming,
          log: x.log,
          diversions: step.diversions ?? [],
        });
      },
      // A queued call whose caller already hung up may end inside the constructor (call is not yet set).
      onEnd: () => {
        if (!call) return;
        this.#calls.delete(call);
        this.#onEnded.get(call)?.();
        this.#onEnded.delete(call);
      },
      dialogs: {
        add: (leg, c) => this.#legsByDialog.set(dialogKey(leg.dialog.id), { call: c, leg }),
        remove: (leg) => this.#legsByDialog.delete(dialogKey(leg.dialog.id)),
        find: (id) => this.#legsByDialog.get(dialogKey(id)),
      },
    });
    if (call.state !== 'ended') this.#calls.add(call);
    this.#meta.set(call, { ...meta, since: this.#o.clock.now() });
    return call;
  }

  /** A call trace of an INVITE that starts no call (a feature code, a dial string that leads nowhere). */
  #traceDecision(
    tenantId: string,
    req: { headers: { get(n: string): string | undefined } },
    text: string,
  ): void {
    const trace = this.#o.trace;
    const sipCallId = req.headers.get('Call-ID');
    if (!trace || sipCallId === undefined) return;
    const id = `d-${randomBytes(6).toString('hex')}`;
    trace.callerLeg(tenantId, id, sipCallId);
    trace.note(id, text);
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
    let best: { call: Call; leg: Leg } | undefined;
    for (const call of this.#calls) {
      if (call.tenant.id !== inv.tenant.id) continue;
      const leg = call.heldLegOf(workplace);
      if (leg && (!best || (call.answeredAt ?? 0) >= (best.call.answeredAt ?? 0))) best = { call, leg };
    }
    if (!best || to.workplace === undefined) return false;
    const plan = await this.#o.directory.plan(inv.tenant.id);
    // The recall rings every device of the workplace, not only the one that dialled the code.
    const { device: _device, ...back } = inv.caller;
    return best.call.push(best.leg, [
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
