import type {
  RingPlan,
  RingStep,
  RingTarget,
  TerminatingContext,
  TerminatingRequest,
} from '../../core/calls/ring-plan.js';
import type { Diversion, Party } from '../../core/events/types.js';

/**
 * The ring plan of a call to an executive whose filter takes it (docs/feature-codes.md, "Executive and
 * assistants"): the opted-in assistants ring instead of the executive — together or one after another — with
 * "<caller> for <executive>" as the From display name and Diversion / History-Info naming the executive; the
 * executive's own phones may get a short ring splash meanwhile (silent: its lamp stays dark); nobody answers
 * within the rollover time, then the executive's own phones ring. An assistant who switched divert on sends the
 * filtered calls to its divert target instead. A pure function of what it is given, so it is tested without SIP.
 */

/** How long a screening splash rings the executive's phones. */
export const SPLASH_MS = 2_000;

/** Polycom-style ring class for phones that map Alert-Info's `info` to a short ring; others ring normally. */
export const SPLASH_ALERT_INFO = '<http://127.0.0.1>;info=alert-ring-splash';

export interface AssistantView {
  party: Party;
  language: string;
  /** The provisioned divert target, when the assistant switched divert on. */
  divertTo?: string;
}

/** One executive as the plan needs it: provisioned settings plus the runtime switches, already combined. */
export interface ExecutiveView {
  executive: Party;
  filtering: 'off' | 'all' | 'internal' | 'external';
  filterOn: boolean;
  alerting: 'simultaneous' | 'sequential';
  nextAssistantMs: number;
  /** 0: never roll over. */
  rolloverMs: number;
  screening: boolean;
  /** Every assistant (opted in or not): their calls to the executive are never filtered. */
  allAssistants: ReadonlySet<string>;
  /** The opted-in assistants, in alerting order. */
  assistants: AssistantView[];
}

/** Diversion and History-Info headers for an INVITE to `target` (core's diversion.ts). */
export type DiversionHeaders = (
  domain: string,
  diversions: Diversion[],
  target: Party,
) => Array<[string, string]>;

/** "Anna Berg für Karin Heiden" (the assistant's language decides the word). */
export function callForDisplay(caller: Party, executive: Party, language: string): string {
  const who = caller.name ?? caller.number;
  return `${who} ${language === 'en' ? 'for' : 'für'} ${executive.name ?? executive.number}`;
}

/** Does the filter take this call? */
export function filters(req: TerminatingRequest, x: ExecutiveView): boolean {
  if (req.bypass?.has('executive')) return false;
  if (!x.filterOn || x.filtering === 'off') return false;
  if (x.filtering === 'internal' && req.origin !== 'internal') return false;
  if (x.filtering === 'external' && req.origin !== 'external') return false;
  const from = req.caller.workplace;
  // The executive's own assistants (handing a call over, asking something) and the executive itself get through.
  if (from !== undefined && (from === x.executive.workplace || x.allAssistants.has(from))) return false;
  return true;
}

/**
 * The plan for `req` (a call to the executive), or undefined when the filter does not take it — then the next
 * service (forwarding) or the plain ring of the executive's phones applies.
 */
export async function executivePlan(
  req: TerminatingRequest,
  ctx: TerminatingContext,
  x: ExecutiveView,
  diversionHeaders: DiversionHeaders,
): Promise<RingPlan | undefined> {
  if (!filters(req, x)) return undefined;
  const hop: Diversion = { from: x.executive, reason: 'unconditional' };
  const diversions = [...req.diversions, hop];
  const rollover = rolloverAfter(req, ctx, x);

  const diverting = x.assistants.find((a) => a.divertTo !== undefined);
  if (diverting?.divertTo !== undefined) {
    const to = diverting.divertTo;
    if (!to.startsWith('+')) return ctx.planFor(req, to, hop);
    const trunk = await ctx.externalTarget(
      req.tenant.id,
      x.executive.workplace ?? x.executive.number,
      to,
      req,
    );
    if (!trunk) return undefined;
    const party: Party = { number: to };
    const phase = {
      ring: [{ party, targets: [trunk], headers: diversionHeaders(req.tenant.domain, diversions, party) }],
      ...(x.rolloverMs > 0 ? { timeoutMs: x.rolloverMs } : {}),
      context: { for: x.executive, diversions },
    };
    return rollover({ kind: 'ring', phase });
  }

  const ring: RingTarget[] = [];
  for (const a of x.assistants) {
    const targets = await ctx.devicesOf(req.tenant.id, a.party.workplace ?? a.party.number);
    if (targets.length === 0) continue;
    const i = ring.length;
    ring.push({
      party: a.party,
      targets,
      callerDisplay: callForDisplay(req.caller, x.executive, a.language),
      headers: diversionHeaders(req.tenant.domain, diversions, a.party),
      ...(x.alerting === 'sequential' ? { afterMs: i * x.nextAssistantMs } : {}),
    });
  }
  // No opted-in assistant can ring: the executive's phones ring as if there were no filter.
  if (ring.length === 0) return undefined;
  if (x.alerting === 'sequential') {
    // Each rings for its turn; the last one until the phase ends.
    for (const t of ring.slice(0, -1)) t.ringForMs = x.nextAssistantMs;
  }
  if (x.screening) {
    const own = await ctx.devicesOf(req.tenant.id, x.executive.workplace ?? x.executive.number);
    if (own.length > 0) {
      ring.push({
        party: x.executive,
        targets: own,
        ringForMs: SPLASH_MS,
        silent: true,
        headers: [['Alert-Info', SPLASH_ALERT_INFO]],
      });
    }
  }
  return rollover({
    kind: 'ring',
    phase: {
      ring,
      ...(x.rolloverMs > 0 ? { timeoutMs: x.rolloverMs } : {}),
      context: { for: x.executive, diversions },
    },
  });
}

/**
 * A plan whose first step is `first`; when that phase ends unanswered the executive's own phones ring (the
 * rollover), unless rollover is off — then the caller gets the failure.
 */
function rolloverAfter(
  req: TerminatingRequest,
  ctx: TerminatingContext,
  x: ExecutiveView,
): (first: RingStep) => RingPlan {
  return (first) => {
    let own: RingPlan | undefined;
    return {
      first: () => first,
      next: async (failure, status) => {
        if (own) return own.next(failure, status);
        if (x.rolloverMs === 0) return undefined;
        own = ctx.ringDevices({ ...req, bypass: new Set([...(req.bypass ?? []), 'executive']) });
        return own.first();
      },
    };
  };
}
