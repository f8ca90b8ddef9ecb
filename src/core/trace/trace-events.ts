import type { DomainEvent, Party } from '../events/types.js';

/** The call a domain event belongs to in a trace: a queue offer (`partOf`) counts as its waiting call. */
export function eventCallId(e: DomainEvent): string | undefined {
  if (!('callId' in e)) return undefined;
  return ('partOf' in e && e.partOf) || e.callId;
}

const who = (p: Party | undefined): string =>
  p ? `${p.number}${p.device && p.device !== p.number ? ` (device ${p.device})` : ''}` : '?';

/** One line for the ladder: what the engine or the call center decided. */
export function describeEvent(e: DomainEvent): string {
  switch (e.type) {
    case 'call.offered':
      return `offered ${who(e.caller)} → ${who(e.callee)}`;
    case 'call.ringing':
      return `ringing ${who(e.callee)}${e.device ? ` on ${e.device}` : ''}${e.diversions?.length ? ` (diverted ${e.diversions.map((d) => `${d.from.number}: ${d.reason}`).join(', ')})` : ''}`;
    case 'call.answered':
      return `answered by ${who(e.callee)}${e.device ? ` on ${e.device}` : ''}`;
    case 'call.held':
      return `held by ${who(e.by)}`;
    case 'call.resumed':
      return `resumed by ${who(e.by)}`;
    case 'call.transferred':
      return `${e.kind} transfer by ${who(e.by)} to ${who(e.to)}`;
    case 'call.picked-up':
      return `${e.kind} pickup by ${who(e.by)} from ${who(e.from)}`;
    case 'call.ring-ended':
      return `stopped ringing ${who(e.party)}: ${e.reason}`;
    case 'call.ended':
      return `ended: ${e.reason}${e.status !== undefined ? ` (${e.status})` : ''}`;
    case 'callcenter.caller.queued':
      return `queued in group ${e.group} at position ${e.position}`;
    case 'callcenter.caller.connected':
      return `group ${e.group}: connected to agent ${e.agent} after ${Math.round(e.waitMs / 1000)} s`;
    case 'callcenter.caller.abandoned':
      return `group ${e.group}: caller hung up after ${Math.round(e.waitMs / 1000)} s`;
    case 'callcenter.caller.overflowed':
      return `group ${e.group}: overflow (${e.reason}) to ${e.to}`;
    default:
      return e.type;
  }
}
