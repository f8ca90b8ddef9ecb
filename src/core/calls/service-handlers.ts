import type { IncomingInvite } from '../../sip/ua/index.js';
import type { QueuedCall } from './queue.js';
import type { DeviceRecord, TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { Diversion, Party } from '../events/types.js';
import type { RingStep } from './ring-plan.js';

/**
 * The seams through which services (pickup, call center, ...) take INVITEs the dial plan gives them, so core never
 * imports a feature: the composition root registers each service's handlers with the CallEngine.
 */

/** An INVITE from one of the tenant's own devices that dialled a feature code (e.g. `*97` + `101`). */
export interface FeatureInvocation {
  tenant: TenantRecord;
  device: DeviceRecord;
  /** The dialling workplace as a party (number = its extension). */
  caller: Party;
  /** The code as registered, e.g. '*97'. */
  code: string;
  /** The digits after a code that takes an argument. */
  argument?: string;
  /** The INVITE: the handler must answer it (accept, reject) exactly once. */
  incoming: IncomingInvite;
  log: Logger;
}

/** Handles one registered feature-code id; it owns the INVITE from here on. */
export type FeatureHandler = (inv: FeatureInvocation) => Promise<void>;

/** A call to a number a service owns (e.g. a call-center group's extension), from a device or a trunk. */
export interface ServiceCall {
  tenant: TenantRecord;
  caller: Party;
  /** The dialled number, as the dial plan normalised it. */
  number: string;
  incoming: IncomingInvite;
  log: Logger;
}

/** Numbers that are not workplaces but belong to a service. Every lookup is scoped to a tenant. */
export interface ServiceNumbers {
  /** The handler for `number` in this tenant, or undefined when the number is not a service's. */
  lookup(tenantId: string, number: string): Promise<((call: ServiceCall) => Promise<void>) | undefined>;
}

/** A call a ring plan hands to a divert service (e.g. voicemail for mailbox `number`), still unanswered. */
export interface DivertCall extends ServiceCall {
  /** The hops that led here, oldest first (for the greeting and the message's "diverted from"). */
  diversions: Diversion[];
  /**
   * The call is answered already and held by the server (a parked call recalled to a workplace that did not
   * answer, held-calls.ts): the service plays to this instead of answering `incoming`.
   */
  held?: QueuedCall;
}

export type DivertHandler = (call: DivertCall) => Promise<void>;

/** The divert services by name ('voicemail', ...), and what a ring plan's 'service' step does with the INVITE. */
export class DivertServices {
  readonly #handlers = new Map<string, DivertHandler>();

  register(name: string, handler: DivertHandler): void {
    if (this.#handlers.has(name)) throw new Error(`divert service ${name} is already registered`);
    this.#handlers.set(name, handler);
  }

  get(name: string): DivertHandler | undefined {
    return this.#handlers.get(name);
  }

  /** Hands the unanswered INVITE to the step's service; 480 when no such service is registered. */
  async divert(
    step: Extract<RingStep, { kind: 'service' }>,
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; log: Logger },
  ): Promise<void> {
    const handler = this.#handlers.get(step.service);
    if (!handler) {
      incoming.reject(480, { reason: 'Service Unavailable' });
      return;
    }
    const { tenant, caller, log } = x;
    await handler({ tenant, caller, number: step.number, incoming, log, diversions: step.diversions ?? [] });
  }
}
