// The ACD keys of Yealink and Poly desk phones: the BroadSoft `as-feature-event` package (bodies in
// as-feature-event.ts) as a descriptor for the subscription service (core/subscriptions), which owns the dialogs,
// refresh, expiry, the NOTIFY chain and persistence. A phone subscribes for its own workplace; a SetAgentState in
// a SUBSCRIBE body (initial or in-dialog) sets the workplace status, and every status change — by this key, by a
// feature code, by the wrap-up timer or (later) the browser — is NOTIFYed to every subscribed phone of that
// workplace, so the key lamps everywhere show the same status at once.

import type { EventBus, Unsubscribe } from '../../core/events/event-bus.js';
import type { EventPackage, Subscription } from '../../core/subscriptions/event-package.js';
import type { PackageHandle } from '../../core/subscriptions/subscription-service.js';
import type { WorkplaceRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { AgentStatus } from './agent-state.js';
import {
  AS_FEATURE_EVENT,
  AS_FEATURE_EVENT_CONTENT_TYPE,
  agentStateEventBody,
  parseSetAgentState,
} from './as-feature-event.js';

/** What the subscriptions need of the call-center runtime, per tenant. */
export interface AgentStatusControl {
  statusOf(tenantId: string, workplace: string): Promise<AgentStatus | undefined>;
  setStatus(tenantId: string, workplace: string, status: AgentStatus): Promise<void>;
}

/** What one ACD key watches: its phone's workplace, and the status last NOTIFYed (kept current from the bus). */
export interface AcdResource {
  readonly workplace: string;
  status: AgentStatus;
}

export interface AcdSubscriptionsOptions {
  /** Where the package is registered (the SubscriptionService). */
  subscriptions: { register(pkg: EventPackage<AcdResource>): PackageHandle<AcdResource, never> };
  /** The tenant's workplaces (the core Directory fits). */
  directory: {
    plan(tenantId: string): Promise<{ workplace(extension: string): WorkplaceRecord | undefined }>;
  };
  agents: AgentStatusControl;
  bus: Pick<EventBus, 'on'>;
  log: Logger;
}

/** Stored subscriptions of this package carry this kind. */
const KIND = 'acd';

export class AcdSubscriptions {
  readonly #o: AcdSubscriptionsOptions;
  readonly #subs: PackageHandle<AcdResource, never>;
  #off: Unsubscribe | undefined;

  constructor(o: AcdSubscriptionsOptions) {
    this.#o = o;
    this.#subs = o.subscriptions.register(this.#package());
  }

  /** Follows the status changes on the bus. */
  start(): void {
    this.#off = this.#o.bus.on('callcenter.agent.status', (e) => {
      for (const s of this.#subs.subscriptions()) {
        if (s.tenantId !== e.tenantId || s.resource.workplace !== e.agent) continue;
        s.resource.status = e.status;
        this.#subs.notify(s);
      }
    });
  }

  /** Live subscriptions (for the leak checks). */
  count(): number {
    return this.#subs.count();
  }

  stop(): void {
    this.#off?.();
  }

  #package(): EventPackage<AcdResource> {
    const o = this.#o;
    const current = async (tenantId: string, workplace: string): Promise<AgentStatus> =>
      (await o.agents.statusOf(tenantId, workplace)) ?? 'signed-out';
    /** The phone's own workplace only, and only with the package that makes it an agent. */
    const isAgent = async (tenantId: string, workplace: string): Promise<boolean> =>
      (await o.directory.plan(tenantId)).workplace(workplace)?.packages.includes('group') ?? false;
    return {
      event: AS_FEATURE_EVENT,
      contentTypes: [AS_FEATURE_EVENT_CONTENT_TYPE],
      async admit({ tenant, device }) {
        const workplace = device.workplaceExtension;
        if (!(await isAgent(tenant.id, workplace)))
          return { ok: false, status: 403, reason: 'Group Package Not Booked' };
        return { ok: true, resource: { workplace, status: 'signed-out' } };
      },
      async received(sub: Subscription<AcdResource>, request) {
        // A SetAgentState sets the workplace status (other feature bodies are not ours: ignored).
        const set = parseSetAgentState(request.body.toString('utf8'));
        if (set) await o.agents.setStatus(sub.tenantId, sub.resource.workplace, set.status);
        sub.resource.status = await current(sub.tenantId, sub.resource.workplace);
        o.log.info(
          {
            event: 'acd.subscribe',
            tenant: sub.tenantId,
            workplace: sub.resource.workplace,
            device: sub.watcher,
          },
          'ACD key subscribed',
        );
      },
      body: (sub) => ({
        contentType: AS_FEATURE_EVENT_CONTENT_TYPE,
        body: agentStateEventBody(sub.resource.status, sub.resource.workplace),
      }),
      persistence: {
        kinds: [KIND],
        save: (r) => ({ kind: KIND, resource: r.workplace, versions: {} }),
        async restore({ tenantId, stored }) {
          const workplace = stored.resource;
          const agent = await isAgent(tenantId, workplace);
          const status = agent ? await current(tenantId, workplace) : 'signed-out';
          return { resource: { workplace, status }, gone: !agent };
        },
      },
    };
  }
}
