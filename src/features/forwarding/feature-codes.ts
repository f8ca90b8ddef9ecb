import type { ForwardRuleName } from '../../store/forwarding-store.js';

/**
 * Desk-phone codes for forwarding and do not disturb (docs/feature-codes.md, "Forwarding and do not disturb"):
 * the BroadWorks defaults, so users and phones know them. Clear of pickup's *97 / *98 / *11 / *33, the call
 * center's *51–*57, park's *68 / *88 and the voice portal's *62; the registry refuses codes that are prefixes of
 * one another, so a clash fails at start-up.
 */
export interface ForwardingCode {
  code: string;
  /** The codes that switch a forward on take its number (e.g. `*72201`); the "off" codes take nothing. */
  takesArgument: boolean;
  id: string;
  description: string;
  action: { rule: ForwardRuleName; on: boolean } | { dnd: boolean };
}

export const FORWARDING_CODES: readonly ForwardingCode[] = [
  code('*72', 'forwarding.always.on', 'forward always (*72 + number)', { rule: 'always', on: true }),
  code('*73', 'forwarding.always.off', 'forward always off', { rule: 'always', on: false }),
  code('*90', 'forwarding.busy.on', 'forward when busy (*90 + number)', { rule: 'busy', on: true }),
  code('*91', 'forwarding.busy.off', 'forward when busy off', { rule: 'busy', on: false }),
  code('*92', 'forwarding.no-answer.on', 'forward on no answer (*92 + number)', {
    rule: 'noAnswer',
    on: true,
  }),
  code('*93', 'forwarding.no-answer.off', 'forward on no answer off', { rule: 'noAnswer', on: false }),
  code('*94', 'forwarding.not-reachable.on', 'forward when not reachable (*94 + number)', {
    rule: 'notReachable',
    on: true,
  }),
  code('*95', 'forwarding.not-reachable.off', 'forward when not reachable off', {
    rule: 'notReachable',
    on: false,
  }),
  code('*78', 'dnd.on', 'do not disturb on', { dnd: true }),
  code('*79', 'dnd.off', 'do not disturb off', { dnd: false }),
];

function code(c: string, id: string, description: string, action: ForwardingCode['action']): ForwardingCode {
  return { code: c, takesArgument: 'on' in action && action.on, id, description, action };
}
