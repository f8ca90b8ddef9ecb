import type { Kysely, Selectable } from 'kysely';
import type { CcGroupsTable, Database } from './schema.js';

/** Call-center persistence: groups as provisioned, agent status and per-group login. Tenant-scoped. */

export interface GroupRecord {
  tenantId: string;
  extension: string;
  name: string;
  policy: string;
  agents: Array<{ extension: string; weight: number }>;
  allowAgentLogin: boolean;
  ringTimeoutS: number;
  wrapUpS: number;
  maxQueue: number;
  maxWaitS: number;
  /** 'busy', an extension or group of the tenant, or an E.164 number. */
  overflow: string;
  music: string;
  comfortEveryS: number;
  priority: number;
  missesBeforeUnavailable: number;
}

export interface AgentStatusRecord {
  tenantId: string;
  extension: string;
  /** 'available' | 'unavailable' | 'wrap-up' | 'signed-in' | 'signed-out' */
  status: string;
  updatedAt: number;
}

export interface CallCenterStore {
  groups(tenantId: string): Promise<GroupRecord[]>;
  upsertGroup(g: GroupRecord): Promise<void>;
  /** Removes the group and its agents' logins to it. */
  removeGroup(tenantId: string, extension: string): Promise<void>;
  agentStatuses(tenantId: string): Promise<AgentStatusRecord[]>;
  setAgentStatus(r: AgentStatusRecord): Promise<void>;
  /** Group extension → logged-in agent extensions. */
  logins(tenantId: string): Promise<Array<{ group: string; agent: string }>>;
  setLogin(tenantId: string, group: string, agent: string, loggedIn: boolean): Promise<void>;
}

export class KyselyCallCenterStore implements CallCenterStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async groups(tenantId: string): Promise<GroupRecord[]> {
    const rows = await this.#db
      .selectFrom('cc_groups')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('extension')
      .execute();
    return rows.map(toGroup);
  }

  async upsertGroup(g: GroupRecord): Promise<void> {
    const row = fromGroup(g);
    const { tenant_id: _t, extension: _e, ...rest } = row;
    await this.#db
      .insertInto('cc_groups')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'extension']).doUpdateSet(rest))
      .execute();
  }

  async removeGroup(tenantId: string, extension: string): Promise<void> {
    // Explicit, not only by cascade: SQLite enforces foreign keys only when the connection enables them.
    await this.#db
      .deleteFrom('cc_agent_logins')
      .where('tenant_id', '=', tenantId)
      .where('group_extension', '=', extension)
      .execute();
    await this.#db
      .deleteFrom('cc_groups')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async agentStatuses(tenantId: string): Promise<AgentStatusRecord[]> {
    const rows = await this.#db
      .selectFrom('cc_agent_status')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      extension: r.extension,
      status: r.status,
      updatedAt: Number(r.updated_at),
    }));
  }

  async setAgentStatus(r: AgentStatusRecord): Promise<void> {
    await this.#db
      .insertInto('cc_agent_status')
      .values({ tenant_id: r.tenantId, extension: r.extension, status: r.status, updated_at: r.updatedAt })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'extension']).doUpdateSet({ status: r.status, updated_at: r.updatedAt }),
      )
      .execute();
  }

  async logins(tenantId: string): Promise<Array<{ group: string; agent: string }>> {
    const rows = await this.#db
      .selectFrom('cc_agent_logins')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .execute();
    return rows.map((r) => ({ group: r.group_extension, agent: r.agent_extension }));
  }

  async setLogin(tenantId: string, group: string, agent: string, loggedIn: boolean): Promise<void> {
    if (loggedIn) {
      await this.#db
        .insertInto('cc_agent_logins')
        .values({ tenant_id: tenantId, group_extension: group, agent_extension: agent })
        .onConflict((oc) => oc.doNothing())
        .execute();
    } else {
      await this.#db
        .deleteFrom('cc_agent_logins')
        .where('tenant_id', '=', tenantId)
        .where('group_extension', '=', group)
        .where('agent_extension', '=', agent)
        .execute();
    }
  }
}

function toGroup(r: Selectable<CcGroupsTable>): GroupRecord {
  return {
    tenantId: r.tenant_id,
    extension: r.extension,
    name: r.name,
    policy: r.policy,
    agents: JSON.parse(r.agents) as GroupRecord['agents'],
    allowAgentLogin: Number(r.allow_agent_login) !== 0,
    ringTimeoutS: r.ring_timeout_s,
    wrapUpS: r.wrap_up_s,
    maxQueue: r.max_queue,
    maxWaitS: r.max_wait_s,
    overflow: r.overflow,
    music: r.music,
    comfortEveryS: r.comfort_every_s,
    priority: r.priority,
    missesBeforeUnavailable: r.misses_before_unavailable,
  };
}

function fromGroup(g: GroupRecord): Selectable<CcGroupsTable> {
  return {
    tenant_id: g.tenantId,
    extension: g.extension,
    name: g.name,
    policy: g.policy,
    agents: JSON.stringify(g.agents),
    allow_agent_login: g.allowAgentLogin ? 1 : 0,
    ring_timeout_s: g.ringTimeoutS,
    wrap_up_s: g.wrapUpS,
    max_queue: g.maxQueue,
    max_wait_s: g.maxWaitS,
    overflow: g.overflow,
    music: g.music,
    comfort_every_s: g.comfortEveryS,
    priority: g.priority,
    misses_before_unavailable: g.missesBeforeUnavailable,
  };
}
