import type { DeviceRecord, TenantRecord } from '../../store/types.js';
import type { TenantPlan } from '../directory/directory.js';
import type { Party } from '../events/types.js';
import { resolveDialString } from '../routing/index.js';
import type { Call } from './call.js';
import type { Actor, CallView, ControlError } from './call-control-types.js';
import { admittedTrunkTarget, type ExternalOrigin } from './external-targets.js';
import type { EngineDeps } from './engine-deps.js';
import type { Leg } from './leg.js';
import { deviceTarget, trunkTarget, type Target } from './targets.js';
import type { TransferDestination } from './transfer.js';

/**
 * Whose calls and devices third-party call control may act on, and how they look to a workplace
 * (call-control.ts; docs/call-control.md): every lookup here is scoped to one tenant and one workplace.
 */

export type Failure = { ok: false; error: ControlError; message: string };

export const fail = (error: ControlError, message: string): Failure => ({ ok: false, error, message });

/** What the engine keeps about each call for the views (call-engine.ts). */
export interface CallMeta {
  since: number;
  /** The call-center group a queue call came from. */
  queue?: string;
  /** The executive a call is for (or made as). */
  for?: Party;
}

/** The actor's tenant, plan and chosen device (registered, of its workplace), as the party it acts as. */
export async function actorContext(
  deps: EngineDeps,
  a: Actor,
  device: string,
): Promise<{ tenant: TenantRecord; plan: TenantPlan; target: Target; me: Party } | Failure> {
  const tenant = await deps.directory.tenantById(a.tenantId);
  const plan = tenant && (await deps.directory.plan(tenant.id));
  const wp = plan?.workplace(a.workplace);
  if (!tenant || !plan || !wp) return fail('not-allowed', 'no such workplace');
  const own = plan.devicesOf(a.workplace).some((d: DeviceRecord) => d.username === device);
  const binding = own ? deps.location.lookup(tenant.id, device)[0] : undefined;
  if (!binding) return fail('no-device', `${device} is not a registered device of ${a.workplace}`);
  const me: Party = { workplace: wp.extension, device, number: wp.extension, name: wp.name };
  return { tenant, plan, target: deviceTarget(binding), me };
}

/**
 * A dial string by the tenant's dial plan: a workplace's devices, or an external number through a trunk. With
 * `admit`, an external number is a new call of `workplace` (click-to-dial) and passes its toll-fraud limits
 * (external-targets.ts); the target then holds a concurrency slot its `release` gives back.
 */
export async function destination(
  deps: EngineDeps,
  devicesOf: (plan: TenantPlan, tenantId: string, extension: string) => Target[],
  x: { tenant: TenantRecord; plan: TenantPlan; workplace: string; dialled: string; admit?: ExternalOrigin },
): Promise<TransferDestination | Failure> {
  const { tenant, plan, workplace, dialled } = x;
  const externalPrefix = await deps.external?.externalPrefix?.(tenant.id);
  const route = resolveDialString({
    dialled,
    extensions: plan.extensions,
    registry: deps.features,
    ...(externalPrefix !== undefined ? { externalPrefix } : {}),
  });
  if (route.kind === 'workplace') {
    const wp = plan.workplace(route.extension)!;
    return {
      party: { workplace: wp.extension, number: wp.extension, name: wp.name },
      targets: devicesOf(plan, tenant.id, wp.extension),
    };
  }
  if (route.kind === 'external' && x.admit) {
    const a = await admittedTrunkTarget(deps, {
      tenantId: tenant.id,
      workplace,
      number: route.number,
      origin: x.admit,
    });
    if (!a.ok && a.reason === 'refused')
      return fail('not-allowed', `${route.number}: refused by the toll-fraud limits (${a.detail})`);
    if (!a.ok) return fail('not-allowed', `no trunk for ${route.number}`);
    return { party: { number: route.number }, targets: [a.target] };
  }
  if (route.kind === 'external') {
    const trunk = await deps.external?.outbound(tenant.id, workplace, route.number);
    if (!trunk) return fail('not-allowed', `no trunk for ${route.number}`);
    return { party: { number: route.number }, targets: [trunkTarget(trunk)] };
  }
  return fail('invalid-number', `${dialled} is not a number to call`);
}

/** One call as `workplace` sees it. */
export function viewOf(call: Call, workplace: string, meta: CallMeta): CallView {
  const legs = call.control.legs();
  const mine = legs.find((l) => l.active && l.party.workplace === workplace);
  const outgoing = call.caller.workplace === workplace;
  const other = mine ? call.control.core.other(mine).party : outgoing ? call.callee : call.caller;
  // Between the answer and the caller's ACK there are no legs yet: the answering device (what call.answered
  // said), so a view read on that event already names it.
  const device = mine?.party.device ?? (outgoing ? call.caller.device : call.answeredDevice);
  const held = legs.some((l) => l.state === 'held');
  // Made as an executive (meta), or rung at an assistant on the executive's behalf (the ring plan's context).
  const forParty = meta.for ?? call.ringsFor;
  return {
    id: call.id,
    state: call.state === 'answered' ? (held ? 'held' : 'talking') : 'ringing',
    direction: outgoing ? 'outgoing' : 'incoming',
    other,
    ...(device !== undefined ? { device } : {}),
    ...(forParty && forParty.workplace !== workplace ? { for: forParty } : {}),
    ...(meta.queue !== undefined ? { queue: meta.queue } : {}),
    since: meta.since,
    ...(call.answeredAt !== undefined ? { answeredAt: call.answeredAt } : {}),
  };
}

/** Is `workplace` a party of the call (caller, callee, a workplace it rings at, or one of its connected legs)? */
export function involves(call: Call, workplace: string): boolean {
  if (call.state === 'ended') return false;
  if (call.caller.workplace === workplace || call.callee.workplace === workplace) return true;
  if (call.ringingWorkplaces().includes(workplace)) return true;
  return call.control.legs().some((l) => l.active && l.party.workplace === workplace);
}

/**
 * The call a pull by `workplace` onto `device` takes: its answered call on another of its devices, the newest
 * when there are several (as `*11`).
 */
export function pullSource(
  calls: Iterable<Call>,
  workplace: string,
  device: string,
): { call: Call; leg: Leg } | undefined {
  let best: { call: Call; leg: Leg } | undefined;
  for (const call of calls) {
    const leg = call.control
      .legs()
      .find((l) => l.active && l.party.workplace === workplace && l.party.device !== device);
    if (leg && (!best || (call.answeredAt ?? 0) >= (best.call.answeredAt ?? 0))) best = { call, leg };
  }
  return best;
}
