import type { Kysely, Selectable } from 'kysely';
import type { BlfSubscriptionsTable, Database } from './schema.js';
import type { BlfSubscriptionRecord, BlfSubscriptionStore } from './types.js';

/** BLF SUBSCRIBE dialogs (0005-blf). Kept apart from kysely-store.ts so the feature's store code stays in one file. */
export class KyselyBlfSubscriptionStore implements BlfSubscriptionStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async upsert(r: BlfSubscriptionRecord): Promise<void> {
    const row = fromRecord(r);
    const { tenant_id: _t, id: _i, ...rest } = row;
    await this.#db
      .insertInto('blf_subscriptions')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet(rest))
      .execute();
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.#db
      .deleteFrom('blf_subscriptions')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async loadAll(): Promise<BlfSubscriptionRecord[]> {
    const rows = await this.#db
      .selectFrom('blf_subscriptions')
      .selectAll()
      .orderBy('tenant_id')
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }
}

function fromRecord(r: BlfSubscriptionRecord): Selectable<BlfSubscriptionsTable> {
  return {
    tenant_id: r.tenantId,
    id: r.id,
    watcher: r.watcher,
    kind: r.kind,
    resource: r.resource,
    call_id: r.callId,
    local_tag: r.localTag,
    remote_tag: r.remoteTag,
    local_uri: r.localUri,
    remote_uri: r.remoteUri,
    remote_target: r.remoteTarget,
    route_set: JSON.stringify(r.routeSet),
    local_seq: r.localSeq,
    remote_seq: r.remoteSeq,
    flow: JSON.stringify(r.flow),
    expires_at: r.expiresAt,
    version_floor: r.versionFloor,
    resource_versions: JSON.stringify(r.resourceVersions),
    updated_at: r.updatedAt,
  };
}

function toRecord(row: Selectable<BlfSubscriptionsTable>): BlfSubscriptionRecord {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    watcher: row.watcher,
    kind: row.kind,
    resource: row.resource,
    callId: row.call_id,
    localTag: row.local_tag,
    remoteTag: row.remote_tag,
    localUri: row.local_uri,
    remoteUri: row.remote_uri,
    remoteTarget: row.remote_target,
    routeSet: JSON.parse(row.route_set) as string[],
    // PostgreSQL bigint arrives as a number through the pool's type parser; SQLite gives numbers already.
    localSeq: row.local_seq === null ? null : Number(row.local_seq),
    remoteSeq: row.remote_seq === null ? null : Number(row.remote_seq),
    flow: JSON.parse(row.flow) as BlfSubscriptionRecord['flow'],
    expiresAt: Number(row.expires_at),
    versionFloor: Number(row.version_floor),
    resourceVersions: JSON.parse(row.resource_versions) as Record<string, number>,
    updatedAt: Number(row.updated_at),
  };
}
