/**
 * The tables as kysely sees them. Column names are snake_case in SQL; the store maps them to the camelCase
 * records of types.ts so nothing above the store knows the SQL shape.
 */

export interface TenantsTable {
  id: string;
  name: string;
  domain: string;
}

export interface WorkplacesTable {
  tenant_id: string;
  extension: string;
  name: string;
  email: string | null;
  language: string;
  /** JSON array of package names: a list column that means the same in SQLite and PostgreSQL. */
  packages: string;
  /** E.164 number presented on outbound trunk calls, or null (the trunk's default). Added by 0004-trunks. */
  external_number: string | null;
  /** JSON array of monitored extensions (BLF), or null for none. Added by 0005-blf. */
  blf: string | null;
}

export interface DevicesTable {
  tenant_id: string;
  username: string;
  workplace_extension: string;
  kind: string;
  ha1_md5: string;
  ha1_sha256: string;
}

export interface RegistrationsTable {
  tenant_id: string;
  username: string;
  contact: string;
  contact_params: string;
  q: number | null;
  call_id: string;
  cseq: number;
  /** bigint ms since epoch; PostgreSQL int8 is parsed to a number by the pool's type parser. */
  expires_at: number;
  flow_protocol: string;
  flow_address: string;
  flow_port: number;
  flow_local_address: string;
  flow_local_port: number;
  flow_connection_id: string | null;
  user_agent: string | null;
  updated_at: number;
}

export interface CallHistoryTable {
  id: string;
  tenant_id: string;
  call_id: string;
  direction: string;
  caller_number: string;
  caller_name: string | null;
  caller_workplace: string | null;
  callee_number: string;
  callee_name: string | null;
  callee_workplace: string | null;
  answered_by_device: string | null;
  /** bigint ms since epoch, like every timestamp in the store. */
  started_at: number;
  answered_at: number | null;
  ended_at: number;
  duration_s: number;
  outcome: string;
  status: number | null;
  /** 0006: which pickup took the call ('directed', 'group', 'replaces', 'pull') and from which workplace. */
  pickup_kind: string | null;
  pickup_from: string | null;
}

export interface TrunksTable {
  tenant_id: string;
  id: string;
  peer_host: string;
  peer_port: number;
  transport: string;
  reg_username: string | null;
  /** As given by the carrier: it is sent to the carrier, so no hash can replace it. */
  reg_password: string | null;
  reg_expires: number | null;
  outbound_prefix: string;
  number_format: string;
  country_code: string | null;
  default_caller_id: string | null;
}

export interface TrunkDidsTable {
  number: string;
  tenant_id: string;
  trunk_id: string;
  extension: string;
}

/** A BLF watcher's SUBSCRIBE dialog (0005-blf). JSON in route_set, flow, resource_versions. */
export interface BlfSubscriptionsTable {
  tenant_id: string;
  id: string;
  watcher: string;
  kind: string;
  resource: string;
  call_id: string;
  local_tag: string;
  remote_tag: string;
  local_uri: string;
  remote_uri: string;
  remote_target: string;
  route_set: string;
  local_seq: number | null;
  remote_seq: number | null;
  flow: string;
  expires_at: number;
  version_floor: number;
  resource_versions: string;
  updated_at: number;
}

export interface Database {
  tenants: TenantsTable;
  workplaces: WorkplacesTable;
  devices: DevicesTable;
  registrations: RegistrationsTable;
  call_history: CallHistoryTable;
  trunks: TrunksTable;
  trunk_dids: TrunkDidsTable;
  cc_groups: CcGroupsTable;
  cc_agent_status: CcAgentStatusTable;
  cc_agent_logins: CcAgentLoginsTable;
  blf_subscriptions: BlfSubscriptionsTable;
  pickup_settings: PickupSettingsTable;
  park_settings: ParkSettingsTable;
  pickup_groups: PickupGroupsTable;
  pickup_group_members: PickupGroupMembersTable;
  voicemail_boxes: VoicemailBoxesTable;
  voicemail_messages: VoicemailMessagesTable;
  forwarding: ForwardingTable;
  executives: ExecutivesTable;
  executive_filter_state: ExecutiveFilterStateTable;
  executive_assistant_state: ExecutiveAssistantStateTable;
  web_logins: WebLoginsTable;
  api_sessions: ApiSessionsTable;
  toll_fraud_limits: TollFraudLimitsTable;
}

/** 0014: toll-fraud limits per tenant, one JSON document (toll-fraud-store.ts). */
export interface TollFraudLimitsTable {
  tenant_id: string;
  settings: string;
}

/** 0011: forwarding and do not disturb per workplace, JSON documents (forwarding-store.ts). */
export interface ForwardingTable {
  tenant_id: string;
  extension: string;
  settings: string;
  provisioned: string | null;
}

/** 0009: executives as provisioned (assistants as JSON) and their runtime switches. */
export interface ExecutivesTable {
  tenant_id: string;
  extension: string;
  assistants: string;
  filtering: string;
  alerting: string;
  next_assistant_s: number;
  rollover_s: number;
  screening: number;
  opt_in_out: number;
  push_recall_s: number;
}

export interface ExecutiveFilterStateTable {
  tenant_id: string;
  executive: string;
  filter_on: number;
}

export interface ExecutiveAssistantStateTable {
  tenant_id: string;
  executive: string;
  assistant: string;
  opted_in: number | null;
  divert_on: number | null;
}

/** 0013: call park per tenant. */
export interface ParkSettingsTable {
  tenant_id: string;
  first_location: string;
  last_location: string;
  recall_seconds: number;
}

export interface PickupSettingsTable {
  tenant_id: string;
  pickup_order: string;
}

export interface PickupGroupsTable {
  tenant_id: string;
  name: string;
  position: number;
}

export interface PickupGroupMembersTable {
  tenant_id: string;
  extension: string;
  group_name: string;
  position: number;
}

export interface CcGroupsTable {
  tenant_id: string;
  extension: string;
  name: string;
  policy: string;
  agents: string;
  allow_agent_login: number;
  ring_timeout_s: number;
  wrap_up_s: number;
  max_queue: number;
  max_wait_s: number;
  overflow: string;
  music: string;
  comfort_every_s: number;
  priority: number;
  misses_before_unavailable: number;
}

export interface CcAgentStatusTable {
  tenant_id: string;
  extension: string;
  status: string;
  updated_at: number;
}

export interface CcAgentLoginsTable {
  tenant_id: string;
  group_extension: string;
  agent_extension: string;
}

/** 0012-voicemail: a workplace's mailbox. */
export interface VoicemailBoxesTable {
  tenant_id: string;
  extension: string;
  pin_hash: string;
  provisioned_pin_hash: string;
  max_message_s: number;
  max_messages: number;
  email_notify: number;
  /** JSON array of device usernames. */
  unsolicited: string;
  greeting: string;
}

/** 0012-voicemail: one message's metadata (the audio is a file under the data folder). */
export interface VoicemailMessagesTable {
  tenant_id: string;
  id: string;
  extension: string;
  caller_number: string;
  caller_name: string | null;
  received_at: number;
  duration_ms: number;
  folder: string;
  email_state: string;
  email_attempts: number;
}

/** 0010: a workplace's web login (argon2id hash, null when it has none) and role. */
export interface WebLoginsTable {
  tenant_id: string;
  extension: string;
  password_hash: string | null;
  role: string;
}

/** 0010: an API session; only the SHA-256 of the token is stored. */
export interface ApiSessionsTable {
  token_hash: string;
  tenant_id: string;
  extension: string;
  created_at: number;
  expires_at: number;
}
