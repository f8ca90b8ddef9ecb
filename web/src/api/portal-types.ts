import type { AgentStatus, Party } from './types.js';

/** Answers of the MyPortal, admin and wallboard routes (docs/api.md). */

export interface Change {
  action: 'create' | 'update' | 'delete';
  entity: string;
  key: string;
  fields: Array<{ field: string; from: unknown; to: unknown; secret?: boolean }>;
}

export interface ChangeList {
  dryRun: boolean;
  changes: Change[];
}

export interface DeviceSecret {
  username: string;
  password: string;
}

export interface AdminWorkplace {
  extension: string;
  name: string;
  email?: string;
  language: string;
  packages: string[];
  externalNumber?: string;
  blf: string[];
  role: string;
  webLogin: boolean;
  devices: Array<{ username: string; kind: string; registered: boolean }>;
}

export interface AdminGroup {
  extension: string;
  name: string;
  policy: string;
  agents: Array<string | { extension: string; weight: number }>;
  allowAgentLogin: boolean;
  ringTimeout: number;
  wrapUp: number;
  maxQueue: number;
  maxWait: number;
  overflow: string;
  [key: string]: unknown;
}

export interface TraceSummary {
  id: string;
  startedAt: string;
  endedAt?: string;
  caller?: Party;
  callee?: Party;
  outcome?: string;
  group?: string;
  entries: number;
}

export interface TraceEntry {
  atMs: number;
  at: string;
  kind: 'sip' | 'decision' | 'event';
  leg?: string;
  direction?: 'in' | 'out';
  peer?: string;
  line: string;
  type?: string;
  sip?: { method: string; status?: number; headers: Record<string, string>; body?: string };
}

export interface WallboardAgent {
  extension: string;
  name: string;
  status: AgentStatus;
  loggedIn: boolean;
  onCall: boolean;
  since: string | null;
}

export interface WallboardGroup {
  extension: string;
  name: string;
  waiting: Array<{ callId: string; caller: Party; since: string; waitingMs: number }>;
  longestWaitingMs: number;
  agents: WallboardAgent[];
  today: {
    offered: number;
    answered: number;
    abandoned: number;
    overflowed: number;
    answeredWithinServiceLevel: number;
    serviceLevel: number | null;
    averageWaitMs: number;
    longestWaitTodayMs: number;
  };
}

export interface Wallboard {
  seq: number;
  at: string;
  day: string;
  serviceLevelS: number;
  groups: WallboardGroup[];
}
