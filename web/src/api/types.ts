/** The shapes of the PBX's HTTP API as the browser sees them (docs/api.md is the reference). */

export type Presence = 'idle' | 'ringing' | 'busy';
export type AgentStatus = 'available' | 'unavailable' | 'wrap-up' | 'signed-in' | 'signed-out';
export const AGENT_STATUSES: readonly AgentStatus[] = [
  'signed-in',
  'available',
  'unavailable',
  'wrap-up',
  'signed-out',
];
export type Role = 'user' | 'admin';

export interface Session {
  token: string;
  expiresAt: string;
  domain: string;
  extension: string;
}

export interface Device {
  username: string;
  kind: 'deskphone' | 'softphone' | 'webrtc' | string;
  registered: boolean;
  contacts: Array<{ transport: string; userAgent: string | null; expiresAt: string }>;
}

export interface Me {
  tenant: string;
  domain: string;
  extension: string;
  name: string;
  email: string | null;
  language: string;
  role: Role;
  packages: string[];
  presence: Presence;
  devices: Device[];
}

export interface Party {
  workplace?: string;
  device?: string;
  number: string;
  name?: string;
}

export interface CallView {
  id: string;
  state: 'ringing' | 'talking' | 'held';
  direction: 'incoming' | 'outgoing';
  other: Party;
  device?: string;
  for?: Party;
  queue?: string;
  since: string;
  answeredAt?: string;
}

export interface DirectoryEntry {
  extension: string;
  name: string;
  presence: Presence;
}

export interface ContactCard extends DirectoryEntry {
  email: string | null;
}

export interface MyCallCenter {
  status: AgentStatus | null;
  groups: Array<{ extension: string; name: string; loggedIn: boolean; allowAgentLogin: boolean }>;
}

export interface HistoryItem {
  id: string;
  callId: string;
  direction: 'incoming' | 'outgoing';
  missed: boolean;
  other: { number: string; name: string | null; workplace: string | null };
  startedAt: string;
  answeredAt: string | null;
  endedAt: string;
  durationS: number;
  outcome: string;
  answeredByDevice: string | null;
  pickup?: { kind: string; from: string };
}

export interface HistoryPage {
  items: HistoryItem[];
  next: string | null;
}

/** The stream's first message (or after a reconnect that reaches too far back). */
export interface Snapshot {
  calls: CallView[];
  blf: Array<{ extension: string; presence: Presence }>;
  agent?: { status: AgentStatus | null; groups: Array<{ extension: string; loggedIn: boolean }> } | null;
}

export type StreamMessage =
  | { type: 'snapshot'; seq: number; data: Snapshot }
  | { type: 'resumed'; seq: number }
  | { type: string; seq: number; at: string; data: Record<string, unknown> };

/** `GET /api/v1/me/webrtc`: how this browser registers as a device of the workplace. */
export interface WebRtcAccess {
  wsUrl: string;
  sipUri: string;
  username: string;
  password: string;
  realm: string;
  displayName: string;
  expiresAt: string;
  iceServers: RTCIceServer[];
}
