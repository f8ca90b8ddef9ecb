// The ACD keys of Yealink and Poly desk phones: the agent-state part of the BroadSoft `as-feature-event` package,
// which core/subscriptions/feature-keys.ts hosts on the subscription service (one subscription per phone serves
// every feature key). A SetAgentState in a SUBSCRIBE body (initial or in-dialog) sets the workplace status, and
// every status change — by this key, by a feature code, by the wrap-up timer or (later) the browser — is NOTIFYed
// to every subscribed phone of that workplace, so the key lamps everywhere show the same status at once.

import type { EventBus, Unsubscribe } from '../../core/events/event-bus.js';
import type { FeatureKeyPart } from '../../core/subscriptions/feature-keys.js';
import type { WorkplaceRecord } from '../../store/types.js';
import type { AgentStatus } from './agent-state.js';
import { agentStateEventBody, parseSetAgentState } from './as-feature-event.js';

/** What the subscriptions need of the call-center runtime, per tenant. */
export interface AgentStatusControl {
  statusOf(tenantId: string, workplace: string): Promise<AgentStatus | undefined>;
  setStatus(tenantId: string, workplace: string, status: AgentStatus): Promise<void>;
}

export interface AcdSubscriptionsOptions {
  /** The as-feature-event package host (core FeatureKeys). */
  keys: {
    addPart(p: FeatureKeyPart): void;
    changed(tenantId: string, workplace: string, part: string, docs: string[]): void;
  };
  /** The tenant's workplaces (the core Directory fits). */
  directory: {
    plan(tenantId: string): Promise<{ workplace(extension: string): WorkplaceRecord | undefined }>;
  };
  agents: AgentStatusControl;
  bus: Pick<EventBus, 'on'>;
}

const PART = 'acd';

export class AcdSubscriptions {
  readonly #o: AcdSubscriptionsOptions;
  #off: Unsubscribe | undefined;

  constructor(o: AcdSubscriptionsOptions) {
    this.#o = o;
    o.keys.addPart(this.#part());
  }

  /** Follows the status changes on the bus. */
  start(): void {
    this.#off = this.#o.bus.on('callcenter.agent.status', (e) =>
      this.#o.keys.changed(e.tenantId, e.agent, PART, [agentStateEventBody(e.status, e.agent)]),
    );
  }

  stop(): void {
    this.#off?.();
  }

  #part(): FeatureKeyPart {
    const o = this.#o;
    return {
      name: PART,
      /** Only a workplace with the package that makes it an agent has an ACD key. */
      async serves(tenantId, workplace) {
        const wp = (await o.directory.plan(tenantId)).workplace(workplace);
        return wp?.packages.includes('group') ? true : { reason: 'Group Package Not Booked' };
      },
      async received(tenantId, workplace, body) {
        // A SetAgentState sets the workplace status (other feature bodies are not ours: ignored).
        const set = parseSetAgentState(body);
        if (set) await o.agents.setStatus(tenantId, workplace, set.status);
      },
      async documents(tenantId, workplace) {
        const status = (await o.agents.statusOf(tenantId, workplace)) ?? 'signed-out';
        return [agentStateEventBody(status, workplace)];
      },
    };
  }
}
