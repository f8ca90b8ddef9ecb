import { deviceTarget, trunkTarget, type Target } from '../../core/calls/targets.js';
import type { FeatureInvocation, ServiceCall, ServiceNumbers } from '../../core/calls/service-handlers.js';
import type { QueuedCall } from '../../core/calls/queue.js';
import type { ExternalRoutes } from '../../core/calls/external-routes.js';
import type { Directory } from '../../core/directory/directory.js';
import type { EventBus } from '../../core/events/event-bus.js';
import type { Party } from '../../core/events/types.js';
import type { LocationService } from '../../core/registrar/location-service.js';
import type { FeatureCodeRegistry } from '../../core/routing/index.js';
import { confirmationTone } from '../../media/audio/tone.js';
import type { AudioSource } from '../../media/media-engine.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import type { Store, TenantRecord } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { LoadOnce } from '../../util/load-once.js';
import { CALL_CENTER_CODES, type CallCenterCode } from './feature-codes.js';
import type { GroupStats } from './group-stats.js';
import { HeldQueueCaller } from './queue-caller.js';
import { TenantCallCenter } from './tenant-call-center.js';

export interface CallCenterServiceOptions {
  store: Store;
  directory: Directory;
  location: LocationService;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  /** SIP trunks, for overflow to an outside (E.164) number; without them such an overflow is busy. */
  external?: ExternalRoutes;
  /** Workplaces that take no queue call now (do not disturb); the composition root passes it. */
  excluded?: (tenantId: string, workplace: string) => boolean;
}

/** The engine seams the service plugs into (CallEngine implements them). */
export interface CallCenterEngineSeams {
  readonly features: FeatureCodeRegistry;
  onFeature(id: string, handler: (inv: FeatureInvocation) => Promise<void>): void;
  addServiceNumbers(s: ServiceNumbers): void;
  /** Answers a group's caller with the server's own media: a queued call the service plays to and offers. */
  answerQueued(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ): Promise<QueuedCall | undefined>;
}

/**
 * The call-center service: one TenantCallCenter (queues, agents, the one dispatcher) per tenant, loaded on first
 * use. Calls to a group's extension are answered here (a queued call, core/calls/queue.ts) and queued; desk phones control login and status
 * with feature codes (feature-codes.ts). Every lookup is scoped to the tenant of the calling device.
 */
export class CallCenterService {
  readonly #o: CallCenterServiceOptions;
  readonly #tenants = new LoadOnce<string, TenantCallCenter>((id) => this.#load(id));
  readonly #unsubscribe: Array<() => void> = [];

  constructor(o: CallCenterServiceOptions) {
    this.#o = o;
    const started = (e: { tenantId: string; callId: string; caller: Party; callee: Party }) => {
      const t = this.#loaded(e.tenantId);
      if (!t) return;
      if (e.caller.workplace) t.callStarted(e.caller.workplace, e.callId);
      if (e.callee.workplace) t.callStarted(e.callee.workplace, e.callId);
    };
    this.#unsubscribe.push(
      o.bus.on('call.offered', (e) => {
        // Only the caller is busy while it rings elsewhere; the callee is busy once its phone rings.
        const t = this.#loaded(e.tenantId);
        if (t && e.caller.workplace) t.callStarted(e.caller.workplace, e.callId);
      }),
      o.bus.on('call.ringing', started),
      o.bus.on('call.answered', started),
      o.bus.on('call.ended', (e) => this.#loaded(e.tenantId)?.callEnded(e.callId)),
    );
  }

  /** Registers the group numbers and the feature codes with the call engine. */
  attach(engine: CallCenterEngineSeams): void {
    this.#engine = engine;
    engine.addServiceNumbers({
      lookup: async (tenantId, number) => {
        const t = await this.tenant(tenantId);
        return t.hasGroup(number) ? (call: ServiceCall) => this.#queueCall(t, call) : undefined;
      },
    });
    for (const def of CALL_CENTER_CODES) {
      engine.features.register({
        code: def.code,
        takesArgument: def.takesArgument,
        id: def.id,
        description: def.description,
      });
      engine.onFeature(def.id, (inv) => this.#feature(def, inv));
    }
  }

  /** The tenant's runtime (loaded from the store on first use). */
  tenant(tenantId: string): Promise<TenantCallCenter> {
    return this.#tenants.get(tenantId);
  }

  /** Re-reads groups, statuses and logins of every loaded tenant (after provisioning). */
  async reload(): Promise<void> {
    this.#o.directory.invalidate();
    for (const [id, p] of this.#tenants.entries()) {
      const t = await p;
      t.configure(await this.#config(id));
    }
  }

  /** Whether an agent can take calls changed outside the call center (do not disturb): offer waiting calls. */
  agentsChanged(tenantId: string): void {
    this.#loaded(tenantId)?.agentsChanged();
  }

  async stats(tenantId: string, group: string): Promise<GroupStats | undefined> {
    return (await this.tenant(tenantId)).stats(group);
  }

  /** Calls the service answered that are still up, plus queue entries in every tenant, for the leak checks. */
  count(): number {
    let n = this.#live.size;
    for (const t of this.#tenants.values()) n += t.size();
    return n;
  }

  /**
   * Graceful stop: every caller still waiting in a queue (no agent talking to them yet) hears `message` once and
   * is hung up — a clear word instead of music until the drain timeout cuts the line. Callers already connected
   * to an agent are running calls and go on. Resolves once the waiting ones are gone.
   */
  async drainQueues(message: AudioSource): Promise<void> {
    const waiting = [...this.#live].filter((c) => c.state === 'queued' || c.state === 'offering');
    this.#o.log.info({ event: 'callcenter.draining', callers: waiting.length }, 'telling queued callers');
    const ms = Math.ceil(message.samples.length / 8) + 500;
    await Promise.all(
      waiting.map(
        (c) =>
          new Promise<void>((resolve) => {
            let done = false;
            const end = (): void => {
              if (done) return;
              done = true;
              this.#o.clock.clearTimeout(timer);
              c.hangup().then(resolve, resolve);
            };
            // The queue may start other audio meanwhile (an announcement interval): the timer still ends it.
            const timer = this.#o.clock.setTimeout(end, ms);
            c.play(message, { onEnded: end });
          }),
      ),
    );
  }

  /** Hangs up every call the service answered and stops the timers (shutdown). */
  async close(): Promise<void> {
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const t of this.#tenants.values()) t.close();
    await Promise.all([...this.#live].map((c) => c.hangup()));
  }

  readonly #live = new Set<QueuedCall>();
  #engine: CallCenterEngineSeams | undefined;

  async #answer(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ): Promise<QueuedCall | undefined> {
    if (!this.#engine) throw new Error('CallCenterService used before attach()');
    const held = await this.#engine.answerQueued(incoming, x);
    if (held && held.state !== 'ended') {
      this.#live.add(held);
      held.onEnded(() => this.#live.delete(held));
    }
    return held;
  }

  #loaded(tenantId: string): TenantCallCenter | undefined {
    return this.#tenants.ready(tenantId);
  }

  async #load(tenantId: string): Promise<TenantCallCenter> {
    const o = this.#o;
    const t = new TenantCallCenter({
      tenantId,
      clock: o.clock,
      bus: o.bus,
      log: o.log.child({ tenant: tenantId, layer: 'callcenter' }),
      ...(o.excluded ? { excluded: (ext: string) => o.excluded!(tenantId, ext) } : {}),
      persist: {
        status: (agent, status, at) =>
          o.store.callCenter.setAgentStatus({ tenantId, extension: agent, status, updatedAt: at }),
        login: (group, agent, loggedIn) => o.store.callCenter.setLogin(tenantId, group, agent, loggedIn),
      },
    });
    t.configure(await this.#config(tenantId));
    return t;
  }

  async #config(tenantId: string): Promise<Parameters<TenantCallCenter['configure']>[0]> {
    const s = this.#o.store;
    const [groups, statuses, logins, workplaces] = await Promise.all([
      s.callCenter.groups(tenantId),
      s.callCenter.agentStatuses(tenantId),
      s.callCenter.logins(tenantId),
      s.directory.workplaces(tenantId),
    ]);
    return {
      groups,
      statuses,
      logins,
      withPackage: new Set(workplaces.filter((w) => w.packages.includes('group')).map((w) => w.extension)),
    };
  }

  async #targets(tenantId: string, extension: string): Promise<{ party: Party; targets: Target[] }> {
    if (extension.startsWith('+')) {
      // Overflow to an outside number: the tenant's trunk, presenting its default caller id.
      const trunk = await this.#o.external?.outbound(tenantId, '', extension);
      const party: Party = { number: extension };
      if (!trunk) return { party, targets: [] };
      return {
        party,
        targets: [trunkTarget(trunk)],
      };
    }
    const plan = await this.#o.directory.plan(tenantId);
    const wp = plan?.workplace(extension);
    const party: Party = { workplace: extension, number: extension, ...(wp ? { name: wp.name } : {}) };
    if (!plan || !wp) return { party, targets: [] };
    return {
      party,
      targets: plan
        .devicesOf(extension)
        .flatMap((d) => this.#o.location.lookup(tenantId, d.username))
        .map(deviceTarget),
    };
  }

  async #queueCall(t: TenantCallCenter, call: ServiceCall): Promise<void> {
    const g = t.group(call.number);
    if (!g) {
      call.incoming.reject(404, { reason: 'Not Found' });
      return;
    }
    // A full queue that overflows to busy is refused before answering: the caller's phone shows busy at once.
    // (With another overflow target the caller is answered and sent on by the runtime.)
    if (t.waiting(g.extension).length >= g.maxQueue && g.overflow === 'busy') {
      call.log.info(
        { event: 'cc.overflow', group: g.extension, reason: 'queue-full', to: 'busy' },
        'queue full',
      );
      t.countRefused(g.extension, call.incoming.request.headers.get('Call-ID') ?? '', call.caller);
      call.incoming.reject(486, { reason: 'Queue Full' });
      return;
    }
    const held = await this.#answer(call.incoming, {
      tenant: call.tenant,
      caller: call.caller,
      service: { number: g.extension, name: g.name },
      log: call.log,
    });
    if (!held) return;
    if (held.state === 'ended') return;
    t.enqueue(g.extension, new HeldQueueCaller(held, (ext) => this.#targets(t.tenantId, ext), this.#o.clock));
  }

  async #feature(def: CallCenterCode, inv: FeatureInvocation): Promise<void> {
    const t = await this.tenant(inv.tenant.id);
    const agent = inv.device.workplaceExtension;
    let refusal: string | undefined;
    if (def.action === 'login' || def.action === 'logout') {
      const group = inv.argument ?? '';
      const r = t.setLogin(group, agent, def.action === 'login');
      refusal =
        r === 'no-package'
          ? 'Group Package Not Booked'
          : r === 'forbidden'
            ? 'Login Not Allowed'
            : r === 'not-agent' || r === 'unknown-group'
              ? 'Not An Agent Of This Group'
              : undefined;
    } else {
      refusal = t.setStatus(agent, def.action) === undefined ? 'Group Package Not Booked' : undefined;
    }
    inv.log.info(
      { event: 'cc.feature', code: def.code, agent, argument: inv.argument, refused: refusal ?? false },
      'call-center code',
    );
    if (refusal) {
      inv.incoming.reject(403, { reason: refusal });
      return;
    }
    const held = await this.#answer(inv.incoming, {
      tenant: inv.tenant,
      caller: inv.caller,
      service: { number: def.code },
      log: inv.log,
    });
    if (!held) return;
    held.play(confirmationTone(), { onEnded: () => void held.hangup() });
  }
}
