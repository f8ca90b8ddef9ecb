import type { Directory } from '../directory/directory.js';
import type { Diversion, Party } from '../events/types.js';
import { diversionHeaders } from './diversion.js';
import type { ExternalCallPolicy, ExternalRoutes } from './external-routes.js';
import { admittedTrunkTarget } from './external-targets.js';
import type {
  RingPlan,
  RingTarget,
  TerminatingContext,
  TerminatingRequest,
  TerminatingService,
} from './ring-plan.js';
import type { Target } from './targets.js';

/** How many times a call may be diverted before the chain is cut (each hop is one forward or filter). */
export const DEFAULT_MAX_DIVERSIONS = 5;

export interface TerminatingDeps {
  directory: Directory;
  external: ExternalRoutes | undefined;
  /** Toll-fraud limits: a forward to an outside number counts against the forwarding workplace's. */
  externalPolicy?: ExternalCallPolicy | undefined;
  devicesOf(tenantId: string, extension: string): Promise<Target[]>;
  maxDiversions?: number;
}

/**
 * Builds the RingPlan of a call to a workplace: asks the registered terminating services in order (the first
 * plan wins), else rings the workplace's devices. It is also the TerminatingContext the services build on, so a
 * diversion to another workplace gets that workplace's own plan, and loops end here, not in the services.
 */
export class TerminatingPlans implements TerminatingContext {
  readonly #d: TerminatingDeps;
  readonly #services: TerminatingService[] = [];

  constructor(d: TerminatingDeps) {
    this.#d = d;
  }

  add(s: TerminatingService): void {
    if (this.#services.some((x) => x.name === s.name)) throw new Error(`terminating service ${s.name} twice`);
    this.#services.push(s);
  }

  /** The plan for `req.callee`: the first service that has one, else ringing its devices. */
  async plan(req: TerminatingRequest): Promise<RingPlan> {
    for (const s of this.#services) {
      if (req.bypass?.has(s.name)) continue;
      const p = await s.plan(req, this);
      if (p) return p;
    }
    return this.ringDevices(req);
  }

  devicesOf(tenantId: string, extension: string): Promise<Target[]> {
    return this.#d.devicesOf(tenantId, extension);
  }

  async externalTarget(
    tenantId: string,
    fromWorkplace: string,
    number: string,
    req?: Pick<TerminatingRequest, 'sip'>,
  ): Promise<Target | undefined> {
    const a = await admittedTrunkTarget(
      { external: this.#d.external, externalPolicy: this.#d.externalPolicy },
      { tenantId, workplace: fromWorkplace, number, ...(req?.sip ? { origin: req.sip } : {}) },
    );
    return a.ok ? a.target : undefined;
  }

  async planFor(req: TerminatingRequest, extension: string, d: Diversion): Promise<RingPlan> {
    const diversions = [...req.diversions, d];
    const max = this.#d.maxDiversions ?? DEFAULT_MAX_DIVERSIONS;
    // A→B→A: the target already diverted this call once (RFC 7044 section 10.3 leaves the policy to the node).
    if (diversions.some((x) => x.from.workplace === extension)) return rejectPlan(482, 'Loop Detected');
    if (diversions.length > max) return rejectPlan(482, 'Too Many Diversions');
    const wp = (await this.#d.directory.plan(req.tenant.id)).workplace(extension);
    if (!wp) return rejectPlan(404, 'Not Found');
    const callee: Party = { workplace: wp.extension, number: wp.extension, name: wp.name };
    return this.plan({ ...req, callee, diversions });
  }

  ringDevices(req: TerminatingRequest, extra: Partial<RingTarget> = {}): RingPlan {
    const workplace = req.callee.workplace;
    const context = req.diversions.length > 0 ? { diversions: req.diversions } : undefined;
    return {
      first: async () => {
        const target: RingTarget = {
          party: req.callee,
          targets: workplace === undefined ? [] : await this.devicesOf(req.tenant.id, workplace),
          ...extra,
          headers: [
            ...diversionHeaders(req.tenant.domain, req.diversions, req.callee),
            ...(extra.headers ?? []),
          ],
        };
        return { kind: 'ring', phase: { ring: [target], ...(context ? { context } : {}) } };
      },
      next: () => undefined,
    };
  }
}

/** A plan that refuses the call with `status`. */
export function rejectPlan(status: number, reason: string): RingPlan {
  return { first: () => ({ kind: 'reject', status, reason }), next: () => undefined };
}

/** A plan that rings fixed targets once (an external number through a trunk). */
export function ringOnce(party: Party, targets: Target[]): RingPlan {
  return {
    first: () => ({ kind: 'ring', phase: { ring: [{ party, targets }] } }),
    next: () => undefined,
  };
}
