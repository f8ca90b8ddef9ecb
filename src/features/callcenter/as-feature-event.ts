// The ACD part of the BroadSoft "Device Feature Key Synchronization" event package (Event: as-feature-event,
// Content-Type application/x-as-feature-event+xml), which Yealink and Poly phones use for their ACD keys. The
// bodies are ECMA-323 (CSTA XML, edition 3) elements:
//
//   phone → server, in a SUBSCRIBE body:  <SetAgentState><device/><requestedAgentState>ready</…></SetAgentState>
//   server → phone, as a NOTIFY body:     <AgentReadyEvent>…</AgentReadyEvent> (one element per state)
//
// This file is the pure codec and the mapping to our workplace status; acd-subscriptions.ts is the ACD part of
// the package that core/subscriptions/feature-keys.ts serves over SUBSCRIBE/NOTIFY.

import { xmlText } from '../../sip/event/xml.js';
import type { AgentStatus } from './agent-state.js';

const CSTA_NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';

/** CSTA agent states as the phones send them in requestedAgentState. */
export type CstaAgentState = 'loggedOn' | 'loggedOff' | 'ready' | 'notReady' | 'workingAfterCall';

/** CSTA state ↔ our workplace status (BroadWorks maps Sign-In to loggedOn and Sign-Out to loggedOff). */
const TO_STATUS: Record<CstaAgentState, AgentStatus> = {
  loggedOn: 'signed-in',
  loggedOff: 'signed-out',
  ready: 'available',
  notReady: 'unavailable',
  workingAfterCall: 'wrap-up',
};

const EVENT_ELEMENT: Record<AgentStatus, string> = {
  'signed-in': 'AgentLoggedOnEvent',
  'signed-out': 'AgentLoggedOffEvent',
  available: 'AgentReadyEvent',
  unavailable: 'AgentNotReadyEvent',
  'wrap-up': 'AgentWorkingAfterCallEvent',
};

export interface SetAgentStateRequest {
  status: AgentStatus;
  /** BroadSoft private data: the Unavailable reason code the phone chose, if any. */
  reasonCode?: number;
}

/**
 * The request in a SUBSCRIBE body, or undefined when the body is not a SetAgentState (an empty refresh, another
 * feature such as DND or forwarding) or names a state we do not know. Tolerant of namespace prefixes and
 * whitespace; it reads two leaf elements, not a general XML document (the runtime has no XML parser dependency).
 */
export function parseSetAgentState(body: string): SetAgentStateRequest | undefined {
  if (!/<(?:\w+:)?SetAgentState[\s>/]/.test(body)) return undefined;
  const state = leaf(body, 'requestedAgentState');
  if (!state || !(state in TO_STATUS)) return undefined;
  const reason = leaf(body, 'AgentNotReadyReasonValue');
  const reasonCode = reason !== undefined && /^\d{1,6}$/.test(reason) ? Number(reason) : undefined;
  return { status: TO_STATUS[state as CstaAgentState], ...(reasonCode !== undefined ? { reasonCode } : {}) };
}

function leaf(body: string, name: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${name}\\s*>\\s*([^<]*?)\\s*</(?:\\w+:)?${name}\\s*>`).exec(body);
  return m?.[1];
}

/** The NOTIFY body announcing `status` of the workplace `device` (its extension or address). */
export function agentStateEventBody(status: AgentStatus, device: string): string {
  const el = EVENT_ELEMENT[status];
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\r\n` +
    `<${el} xmlns="${CSTA_NS}">\r\n` +
    `<device>${xmlText(device)}</device>\r\n` +
    `<agentID>${xmlText(device)}</agentID>\r\n` +
    `</${el}>\r\n`
  );
}
