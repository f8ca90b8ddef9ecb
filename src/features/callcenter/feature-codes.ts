import type { AgentStatus } from './agent-state.js';

/**
 * Desk-phone codes for agents (docs/feature-codes.md, "Call center"). BroadWorks has no default codes for agent
 * state (phones use as-feature-event), so these are ours: *5x, clear of pickup's *97 / *98 / *11 / *33 and of
 * park's *68 / *88. The registry refuses codes that are prefixes of one another, so a clash fails at start-up.
 */
export interface CallCenterCode {
  code: string;
  takesArgument: boolean;
  id: string;
  description: string;
  action: 'login' | 'logout' | AgentStatus;
}

export const CALL_CENTER_CODES: readonly CallCenterCode[] = [
  {
    code: '*51',
    takesArgument: true,
    id: 'callcenter.login',
    description: 'log in to a call-center group (*51 + group extension)',
    action: 'login',
  },
  {
    code: '*52',
    takesArgument: true,
    id: 'callcenter.logout',
    description: 'log out of a call-center group (*52 + group extension)',
    action: 'logout',
  },
  {
    code: '*53',
    takesArgument: false,
    id: 'callcenter.available',
    description: 'workplace status Available',
    action: 'available',
  },
  {
    code: '*54',
    takesArgument: false,
    id: 'callcenter.unavailable',
    description: 'workplace status Unavailable',
    action: 'unavailable',
  },
  {
    code: '*55',
    takesArgument: false,
    id: 'callcenter.wrap-up',
    description: 'workplace status Wrap-up',
    action: 'wrap-up',
  },
  {
    code: '*56',
    takesArgument: false,
    id: 'callcenter.signed-in',
    description: 'workplace status Signed in',
    action: 'signed-in',
  },
  {
    code: '*57',
    takesArgument: false,
    id: 'callcenter.signed-out',
    description: 'workplace status Signed out',
    action: 'signed-out',
  },
];
