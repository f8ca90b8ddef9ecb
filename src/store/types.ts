import type { ParkStore } from './park-store.js';
import type { CallCenterStore } from './callcenter-store.js';
import type { VoicemailStore } from './voicemail-store.js';
import type { ForwardingStore } from './forwarding-store.js';
import type { ExecutiveStore } from './executive-store.js';
import type { WebAccessStore } from './web-access-store.js';
export type { ApiSessionRecord, WebAccessStore, WebLoginRecord, WebRole } from './web-access-store.js';

/**
 * The store boundary: what core and the CLI may ask of persistence. One implementation (kysely) serves both
 * SQLite and PostgreSQL. Every query that reads tenant data takes the tenant id.
 */

export interface TenantRecord {
  id: string;
  name: string;
  /** The tenant's SIP domain, also the digest realm. Lower-case, unique. */
  domain: string;
}

export interface WorkplaceRecord {
  tenantId: string;
  extension: string;
  name: string;
  email: string | null;
  language: string; // 'de' | 'en'
  packages: string[]; // booked add-on packages, e.g. ["group"]
  /**
   * E.164 number this workplace presents on outbound trunk calls. Read back only when set (absent = the trunk's
   * default caller id); an upsert without it clears it.
   */
  externalNumber?: string | null;
  /** Monitored colleagues (BLF keys) in key order. Read back only when non-empty; an upsert without it clears it. */
  blf?: string[];
}

export interface DeviceRecord {
  tenantId: string;
  /** SIP username, unique within the tenant; also the user part of the device's address of record. */
  username: string;
  workplaceExtension: string;
  kind: string; // 'deskphone' | 'softphone' | 'webrtc'
  /** HA1 for realm = tenant domain, hex. */
  ha1Md5: string;
  ha1Sha256: string;
}

/** One contact binding of an address of record (RFC 3261 section 10.3). */
export interface RegistrationRecord {
  tenantId: string;
  /** User part of the AOR (the device username). */
  username: string;
  /** The Contact URI exactly as bound (with its URI parameters). */
  contact: string;
  /** Contact header parameters other than expires/q, serialized (";+sip.instance=...;reg-id=1"), or "". */
  contactParams: string;
  q: number | null;
  callId: string;
  cseq: number;
  /** Absolute expiry, ms since epoch. */
  expiresAt: number;
  /** The flow the REGISTER arrived on, so requests can reach NATed and WebSocket devices. */
  flowProtocol: string;
  flowAddress: string;
  flowPort: number;
  flowLocalAddress: string;
  flowLocalPort: number;
  flowConnectionId: string | null;
  userAgent: string | null;
  updatedAt: number;
}

/** A SIP trunk of one tenant: where the carrier is, how we register to it, how numbers are sent. */
export interface TrunkRecord {
  tenantId: string;
  /** Unique within the tenant. */
  id: string;
  /** IP literal (IPv6 without brackets) or host name. */
  peerHost: string;
  peerPort: number;
  transport: string; // 'udp' | 'tcp'
  /** Registration to the carrier; all three null when we do not register. */
  regUsername: string | null;
  /** Stored as given (it must be sent to the carrier, so HA1 is not possible). Never print it. */
  regPassword: string | null;
  regExpires: number | null;
  /** What users dial before an external number. */
  outboundPrefix: string;
  numberFormat: string; // 'e164' | 'national'
  /** Without '+', e.g. "49"; needed for e164. */
  countryCode: string | null;
  /** E.164, presented when the calling workplace has no external number. */
  defaultCallerId: string | null;
}

/** An inbound number: calls from the trunk to `number` reach the workplace `extension` of the same tenant. */
export interface TrunkDidRecord {
  /** E.164 with '+'; unique across all tenants (a number belongs to one tenant). */
  number: string;
  tenantId: string;
  trunkId: string;
  extension: string;
}

export interface TrunkStore {
  /** Every tenant's trunks, for matching inbound traffic by peer address and keeping registrations. */
  listAll(): Promise<TrunkRecord[]>;
  forTenant(tenantId: string): Promise<TrunkRecord[]>;
  /** Which tenant, trunk and workplace an E.164 number (with '+') belongs to. */
  didLookup(number: string): Promise<TrunkDidRecord | undefined>;
  /** The tenant's DIDs, by number. */
  dids(tenantId: string): Promise<TrunkDidRecord[]>;
  /** Every DID of every tenant, by number. */
  allDids(): Promise<TrunkDidRecord[]>;
}

export interface DirectorySnapshot {
  tenants: TenantRecord[];
  workplaces: WorkplaceRecord[];
  devices: DeviceRecord[];
}

export interface DirectoryStore {
  tenantByDomain(domain: string): Promise<TenantRecord | undefined>;
  tenant(id: string): Promise<TenantRecord | undefined>;
  device(tenantId: string, username: string): Promise<DeviceRecord | undefined>;
  /** The devices among `usernames` of one tenant (names without a device are left out). */
  devicesNamed(tenantId: string, usernames: readonly string[]): Promise<DeviceRecord[]>;
  workplaces(tenantId: string): Promise<WorkplaceRecord[]>;
  devices(tenantId: string): Promise<DeviceRecord[]>;
  /** Everything, for building the in-memory directory at start and after provisioning. */
  snapshot(): Promise<DirectorySnapshot>;
}

export interface RegistrationStore {
  list(tenantId: string, username: string): Promise<RegistrationRecord[]>;
  /** Inserts or replaces the binding (tenantId, username, contact). */
  upsert(record: RegistrationRecord): Promise<void>;
  remove(tenantId: string, username: string, contact: string): Promise<void>;
  removeAll(tenantId: string, username: string): Promise<void>;
  /**
   * Replaces the stored bindings of every named AOR by `bindings` (all of which belong to those AORs): the
   * location service's write-behind round, in a few statements however many AORs changed. Atomic: in a
   * transaction of its own, or in the caller's when the store is a transaction's.
   */
  replaceAors(
    aors: ReadonlyArray<{ tenantId: string; username: string }>,
    bindings: RegistrationRecord[],
  ): Promise<void>;
  /** Every binding with expiresAt > now, for rebuilding the location service after a restart. */
  loadUnexpired(now: number): Promise<RegistrationRecord[]>;
  removeExpired(now: number): Promise<number>;
}

/**
 * Directory writes, used by provisioning (and later the admin API). Upserts insert or replace the whole record;
 * callers run them inside `Store.transaction` when several must land together.
 */
export interface ProvisioningStore {
  upsertTenant(tenant: TenantRecord): Promise<void>;
  /** Removes the tenant with everything it owns: workplaces, devices, registrations. */
  removeTenant(tenantId: string): Promise<void>;
  upsertWorkplace(workplace: WorkplaceRecord): Promise<void>;
  /** Removes the workplace, its devices and their registrations. */
  removeWorkplace(tenantId: string, extension: string): Promise<void>;
  /** The device's workplace must exist in the same tenant. */
  upsertDevice(device: DeviceRecord): Promise<void>;
  /** Removes the device and its registrations. */
  removeDevice(tenantId: string, username: string): Promise<void>;
  upsertTrunk(trunk: TrunkRecord): Promise<void>;
  /** Removes the trunk and its DIDs. */
  removeTrunk(tenantId: string, trunkId: string): Promise<void>;
  /** Inserts or replaces the number (moving it to this tenant/trunk); trunk and workplace must exist. */
  upsertDid(did: TrunkDidRecord): Promise<void>;
  /** Removes the number only if it belongs to `tenantId`. */
  removeDid(tenantId: string, number: string): Promise<void>;
}

/** Who called whom, seen from the tenant: between two workplaces, from outside, or to outside. */
export type CallDirection = 'internal' | 'inbound' | 'outbound';

/** One finished call in the tenant's journal. */
export interface CallHistoryRecord {
  /** Unique per record (a UUID); the store keeps the first record written under an id. */
  id: string;
  tenantId: string;
  /** The PBX's call id, to correlate with logs and events. */
  callId: string;
  direction: CallDirection;
  callerNumber: string;
  callerName: string | null;
  /** The caller's workplace extension, when the caller is one of the tenant's workplaces. */
  callerWorkplace: string | null;
  calleeNumber: string;
  calleeName: string | null;
  calleeWorkplace: string | null;
  /** The device username that picked up, when known. */
  answeredByDevice: string | null;
  /** ms since epoch. */
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
  /** Seconds from answer to end; 0 for unanswered calls. */
  durationS: number;
  /** Why the call ended (core's call.ended reason: 'completed', 'busy', 'no-answer', ...). */
  outcome: string;
  /** The final SIP status of a failed call, when there was one. */
  status: number | null;
  /** Present when the call was picked up: how, and from which workplace (or, for a pull, device). */
  pickup?: { kind: string; from: string };
}

export interface CallHistoryListOptions {
  /** At most this many records (default 50, at most 1000). */
  limit?: number;
  /** Only calls that started strictly before this time (ms), for paging back from the last record's startedAt. */
  before?: number;
  /** Only calls where this extension was the caller or the callee. */
  workplace?: string;
}

export interface CallHistoryStore {
  add(record: CallHistoryRecord): Promise<void>;
  /** The tenant's calls, newest first (by startedAt, then id). */
  list(tenantId: string, opts?: CallHistoryListOptions): Promise<CallHistoryRecord[]>;
}

/** A tenant's call pickup configuration (provisioning `pickupGroups`, `pickupOrder`). */
export interface PickupSettingsRecord {
  order: 'newest' | 'oldest';
  /** Groups in file order; members are workplace extensions of the tenant, each in at most one group. */
  groups: Array<{ name: string; members: string[] }>;
}

export interface PickupStore {
  /** The tenant's settings; `{ order: 'newest', groups: [] }` when none are stored. */
  settings(tenantId: string): Promise<PickupSettingsRecord>;
  /** Replaces the tenant's settings whole; members must be workplaces of the tenant. */
  replace(tenantId: string, s: PickupSettingsRecord): Promise<void>;
}

/** Where an external call goes, for the toll-fraud limits (core/security/destination-class.ts). */
export const DESTINATION_CLASSES = ['national', 'mobile', 'international', 'premium'] as const;
export type DestinationClass = (typeof DESTINATION_CLASSES)[number];

/** A tenant's toll-fraud limits (provisioning `tollFraud`); null: no limit. */
export interface TollFraudLimitsRecord {
  maxConcurrentExternalCalls: number | null;
  maxExternalCallsPerWorkplacePerHour: number | null;
  /** Destination classes external calls may go to; emergency numbers are always allowed. */
  allow: DestinationClass[];
}

/** National and mobile only, no counts: international and premium must be enabled on purpose. */
export const DEFAULT_TOLL_FRAUD_LIMITS: Readonly<TollFraudLimitsRecord> = {
  maxConcurrentExternalCalls: null,
  maxExternalCallsPerWorkplacePerHour: null,
  allow: ['national', 'mobile'],
};

export interface TollFraudStore {
  /** The tenant's limits; the defaults when none are stored. */
  limits(tenantId: string): Promise<TollFraudLimitsRecord>;
  replace(tenantId: string, limits: TollFraudLimitsRecord): Promise<void>;
}

/** A BLF watcher's subscription with its SIP dialog, as persisted across restarts (RFC 6665, RFC 4235). */
export interface BlfSubscriptionRecord {
  tenantId: string;
  id: string;
  /** The subscribing device's username. */
  watcher: string;
  /** `dialog`: one workplace (RFC 4235); `list`: the workplace's BLF list (RFC 4662). */
  kind: string;
  /** The watched workplace's extension, or the list owner's. */
  resource: string;
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string;
  remoteUri: string;
  remoteTarget: string;
  routeSet: string[];
  localSeq: number | null;
  remoteSeq: number | null;
  flow: {
    protocol: string;
    localAddress: string;
    localPort: number;
    address: string;
    port: number;
    connectionId: string | null;
  };
  /** ms since epoch. */
  expiresAt: number;
  /** Versions handed out after a restart start here (a reserved ceiling, never reused). */
  versionFloor: number;
  /** List subscriptions: the same per resource (extension → floor). */
  resourceVersions: Record<string, number>;
  updatedAt: number;
}

export interface BlfSubscriptionStore {
  /** Inserts or replaces (tenantId, id). */
  upsert(r: BlfSubscriptionRecord): Promise<void>;
  remove(tenantId: string, id: string): Promise<void>;
  /** Every stored subscription (all tenants), for restoring them on start. */
  loadAll(): Promise<BlfSubscriptionRecord[]>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly directory: DirectoryStore;
  readonly registrations: RegistrationStore;
  readonly provisioning: ProvisioningStore;
  readonly callHistory: CallHistoryStore;
  readonly trunks: TrunkStore;
  readonly pickup: PickupStore;
  /** Call park settings per tenant (park-store.ts). */
  readonly park: ParkStore;
  readonly blfSubscriptions: BlfSubscriptionStore;
  /** Call-center groups, agent status and logins (callcenter-store.ts). */
  readonly callCenter: CallCenterStore;
  /** Voicemail boxes and message metadata (voicemail-store.ts). */
  readonly voicemail: VoicemailStore;
  /** Call forwarding and do not disturb per workplace (forwarding-store.ts). */
  readonly forwarding: ForwardingStore;
  /** Executives, their assistants and the runtime switches (executive-store.ts). */
  readonly executives: ExecutiveStore;
  /** Web logins and API sessions (web-access-store.ts). */
  readonly webAccess: WebAccessStore;
  /** Toll-fraud limits per tenant (toll-fraud-store.ts). */
  readonly tollFraud: TollFraudStore;
  /**
   * Runs `fn` in one transaction; the store handed to `fn` sees and writes inside that transaction. If `fn`
   * throws, nothing it wrote remains. Calling `transaction` on the store handed to `fn` joins the same
   * transaction (no savepoints).
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
