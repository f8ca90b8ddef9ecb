import type { ForwardingRecord } from '../../store/forwarding-store.js';
import type { TollFraudLimitsRecord } from '../../store/types.js';

/**
 * The validated content of a provisioning file: typed, normalised, and without any plain-text device password.
 * The one exception is a trunk's registration password: we send it to the carrier, so it is kept as given.
 */

export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Booked add-on packages a workplace may have; features check these before offering a service. */
export const PACKAGES = ['group', 'assistant', 'callcenter', 'conference', 'chat', 'voicemail'] as const;
export type PackageName = (typeof PACKAGES)[number];

/** Call-center distribution policies; the call center implements one function per name. */
export const GROUP_POLICIES = ['circular', 'linear', 'simultaneous', 'longest-idle', 'weighted'] as const;
export type GroupPolicy = (typeof GROUP_POLICIES)[number];

/** What a web login may do: `admin` manages its own tenant through the API, `user` only its own workplace. */
export const WEB_ROLES = ['user', 'admin'] as const;
export type WebRoleName = (typeof WEB_ROLES)[number];

/**
 * A workplace's web password as the planner gets it: in plain text from a file (verified against the stored
 * hash, hashed only when it changed), or an already stored hash kept unchanged (an edit through the admin API).
 */
export type WebPasswordSpec = { password: string } | { hash: string };

export const DEVICE_KINDS = ['deskphone', 'softphone', 'webrtc'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const TRUNK_TRANSPORTS = ['udp', 'tcp'] as const;
export type TrunkTransport = (typeof TRUNK_TRANSPORTS)[number];

/** How the dialled number is sent to the carrier: `+4930123` (e164) or `030123` (national). */
export const NUMBER_FORMATS = ['e164', 'national'] as const;
export type NumberFormat = (typeof NUMBER_FORMATS)[number];

export interface SourcePosition {
  line: number;
  column: number;
}

export interface ProvisionedDevice {
  username: string;
  kind: DeviceKind;
  /** HA1 for realm = the tenant's domain; the password itself is dropped right after parsing. */
  ha1Md5: string;
  ha1Sha256: string;
}

export interface ProvisionedWorkplace {
  extension: string;
  name: string;
  email: string | null;
  language: Language;
  /** Sorted, without duplicates. */
  packages: PackageName[];
  devices: ProvisionedDevice[];
  /** E.164 number presented on outbound trunk calls; null: the trunk's default caller id. */
  externalNumber: string | null;
  /** Monitored colleagues (BLF keys), extensions of the same tenant, in key order; [] when none. */
  blf: string[];
  role: WebRoleName;
  /** null: no web login. The plain text goes no further than the planner, which stores only an argon2id hash. */
  webPassword: WebPasswordSpec | null;
  /** Call forwarding and do not disturb as the file sets them (the defaults when it says nothing). */
  forwarding: ForwardingRecord;
  /** The mailbox, with the `voicemail` package (voicemail.ts); null without. */
  voicemail: ProvisionedVoicemail | null;
}

/** A workplace's mailbox as parsed (core/provisioning/voicemail.ts): the PIN is already a hash. */
export interface ProvisionedVoicemail {
  pinHash: string;
  maxMessageSeconds: number;
  maxMessages: number;
  email: boolean;
  /** Device usernames of the workplace that get NOTIFYs without subscribing. */
  unsolicitedNotify: string[];
}

export interface ProvisionedDid {
  /** E.164 with '+'. */
  number: string;
  extension: string;
  /** Where the number was written, for errors found only against the store (number owned by another tenant). */
  numberAt: SourcePosition;
}

export interface ProvisionedTrunk {
  id: string;
  /** IP literal (IPv6 without brackets) or host name, lower-case. */
  peerHost: string;
  peerPort: number;
  transport: TrunkTransport;
  /** We REGISTER to the carrier with these; the password is the carrier's, kept as given and never printed. */
  register: { username: string; password: string; expires: number } | null;
  outboundPrefix: string;
  numberFormat: NumberFormat;
  /** Without '+', e.g. "49"; required for e164. */
  countryCode: string | null;
  dids: ProvisionedDid[];
  defaultCallerId: string | null;
}

/** A call-center group (`groups:`); times in seconds as in the file. */
export interface ProvisionedGroup {
  extension: string;
  name: string;
  policy: GroupPolicy;
  /** In list order; each is a workplace of the tenant with the `group` package. */
  agents: Array<{ extension: string; weight: number }>;
  allowAgentLogin: boolean;
  ringTimeout: number;
  wrapUp: number;
  maxQueue: number;
  maxWait: number;
  /** 'busy', an extension or group of the tenant, or an E.164 number. */
  overflow: string;
  music: string;
  comfortEvery: number;
  priority: number;
  missesBeforeUnavailable: number;
}

/** An executive with its assistants (`executives:`); times in seconds as in the file. */
export interface ProvisionedExecutive {
  executive: string;
  /** In alerting order; workplaces of the tenant with the `assistant` package. */
  assistants: Array<{ extension: string; divertTo: string | null }>;
  filtering: 'off' | 'all' | 'internal' | 'external';
  alerting: 'simultaneous' | 'sequential';
  nextAssistantSeconds: number;
  rolloverSeconds: number;
  screening: boolean;
  optInOut: boolean;
  pushRecallSeconds: number;
}

export interface ProvisionedTenant {
  id: string;
  name: string;
  /** Lower-case. */
  domain: string;
  workplaces: ProvisionedWorkplace[];
  trunks: ProvisionedTrunk[];
  /** Call pickup groups, in file order (members: extensions of this tenant, each in at most one group). */
  pickupGroups: Array<{ name: string; members: string[] }>;
  /** Which ringing call `*98` takes when several ring. */
  pickupOrder: 'newest' | 'oldest';
  /** Call park locations ("700-709") and recall time; absent: the defaults (core/provisioning/park.ts). */
  park?: { locations: string; recallSeconds: number };
  groups: ProvisionedGroup[];
  executives: ProvisionedExecutive[];
  /** Toll-fraud limits, defaults filled in (provisioning/toll-fraud.ts). */
  tollFraud: TollFraudLimitsRecord;
  /** Where the domain was written, for errors found only against the store (domain owned by another tenant). */
  domainAt: SourcePosition;
}

export interface ProvisioningDoc {
  file: string;
  tenants: ProvisionedTenant[];
}

export interface FieldChange {
  field: string;
  /** Omitted for secrets: a change is reported, never the values. */
  from?: unknown;
  to?: unknown;
  secret?: boolean;
}

export interface ProvisioningChange {
  action: 'create' | 'update' | 'delete';
  entity:
    | 'tenant'
    | 'workplace'
    | 'device'
    | 'trunk'
    | 'did'
    | 'pickup'
    | 'park'
    | 'group'
    | 'voicemail'
    | 'forwarding'
    | 'executive'
    | 'web-login'
    | 'toll-fraud';
  tenantId: string;
  /** Tenant id, workplace extension, device username, trunk id, DID number, group or executive extension. */
  key: string;
  /** What differs, for updates; empty for create and delete. */
  fields: FieldChange[];
}
