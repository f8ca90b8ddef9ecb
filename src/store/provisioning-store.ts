/** The writes of a provisioning run: tenants, workplaces, devices, trunks and their DIDs. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type {
  DeviceRecord,
  ProvisioningStore,
  TenantRecord,
  TrunkDidRecord,
  TrunkRecord,
  WorkplaceRecord,
} from './types.js';
import { fromDevice, fromWorkplace } from './directory-store.js';
import { fromDid, fromTrunk } from './trunk-store.js';

export class KyselyProvisioningStore implements ProvisioningStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async upsertTenant(tenant: TenantRecord): Promise<void> {
    await this.#db
      .insertInto('tenants')
      .values({ id: tenant.id, name: tenant.name, domain: tenant.domain.toLowerCase() })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ name: tenant.name, domain: tenant.domain.toLowerCase() }),
      )
      .execute();
  }

  async removeTenant(tenantId: string): Promise<void> {
    // Foreign keys cascade; registrations too (they reference the tenant).
    await this.#db.deleteFrom('tenants').where('id', '=', tenantId).execute();
  }

  async upsertWorkplace(w: WorkplaceRecord): Promise<void> {
    const row = fromWorkplace(w);
    const { tenant_id: _t, extension: _e, ...rest } = row;
    await this.#db
      .insertInto('workplaces')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'extension']).doUpdateSet(rest))
      .execute();
  }

  async removeWorkplace(tenantId: string, extension: string): Promise<void> {
    // Registrations have no foreign key to devices (see migration 0002): remove them explicitly first.
    const usernames = this.#db
      .selectFrom('devices')
      .select('username')
      .where('tenant_id', '=', tenantId)
      .where('workplace_extension', '=', extension);
    await this.#db
      .deleteFrom('registrations')
      .where('tenant_id', '=', tenantId)
      .where('username', 'in', usernames)
      .execute();
    await this.#db
      .deleteFrom('workplaces')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async upsertDevice(d: DeviceRecord): Promise<void> {
    const row = fromDevice(d);
    const { tenant_id: _t, username: _u, ...rest } = row;
    await this.#db
      .insertInto('devices')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'username']).doUpdateSet(rest))
      .execute();
  }

  async removeDevice(tenantId: string, username: string): Promise<void> {
    await this.#db
      .deleteFrom('registrations')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .execute();
    await this.#db
      .deleteFrom('devices')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .execute();
  }

  async upsertTrunk(t: TrunkRecord): Promise<void> {
    const row = fromTrunk(t);
    const { tenant_id: _t, id: _i, ...rest } = row;
    await this.#db
      .insertInto('trunks')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet(rest))
      .execute();
  }

  async removeTrunk(tenantId: string, trunkId: string): Promise<void> {
    // Its DIDs go by the foreign key's cascade; deleted explicitly too, so it holds without foreign keys.
    await this.#db
      .deleteFrom('trunk_dids')
      .where('tenant_id', '=', tenantId)
      .where('trunk_id', '=', trunkId)
      .execute();
    await this.#db.deleteFrom('trunks').where('tenant_id', '=', tenantId).where('id', '=', trunkId).execute();
  }

  async upsertDid(d: TrunkDidRecord): Promise<void> {
    const row = fromDid(d);
    const { number: _n, ...rest } = row;
    await this.#db
      .insertInto('trunk_dids')
      .values(row)
      .onConflict((oc) => oc.column('number').doUpdateSet(rest))
      .execute();
  }

  async removeDid(tenantId: string, number: string): Promise<void> {
    await this.#db
      .deleteFrom('trunk_dids')
      .where('tenant_id', '=', tenantId)
      .where('number', '=', number)
      .execute();
  }
}
