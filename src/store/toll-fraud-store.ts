import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import {
  DEFAULT_TOLL_FRAUD_LIMITS,
  DESTINATION_CLASSES,
  type DestinationClass,
  type TollFraudLimitsRecord,
  type TollFraudStore,
} from './types.js';

/** Toll-fraud limits per tenant (migration 0014), one JSON document each. */
export class KyselyTollFraudStore implements TollFraudStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async limits(tenantId: string): Promise<TollFraudLimitsRecord> {
    const row = await this.#db
      .selectFrom('toll_fraud_limits')
      .select('settings')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row
      ? fromJson(row.settings)
      : { ...DEFAULT_TOLL_FRAUD_LIMITS, allow: [...DEFAULT_TOLL_FRAUD_LIMITS.allow] };
  }

  async replace(tenantId: string, limits: TollFraudLimitsRecord): Promise<void> {
    const settings = JSON.stringify(limits);
    await this.#db
      .insertInto('toll_fraud_limits')
      .values({ tenant_id: tenantId, settings })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ settings }))
      .execute();
  }
}

/** Lenient: a field missing or of the wrong type falls back to its default (never more permissive). */
function fromJson(text: string): TollFraudLimitsRecord {
  const d = DEFAULT_TOLL_FRAUD_LIMITS;
  let v: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') v = parsed as Record<string, unknown>;
  } catch {
    // a broken row reads as the defaults
  }
  const num = (x: unknown): number | null => (typeof x === 'number' && x >= 0 ? x : null);
  const allow = Array.isArray(v['allow'])
    ? v['allow'].filter((c): c is DestinationClass => (DESTINATION_CLASSES as readonly unknown[]).includes(c))
    : [...d.allow];
  return {
    maxConcurrentExternalCalls: num(v['maxConcurrentExternalCalls']),
    maxExternalCallsPerWorkplacePerHour: num(v['maxExternalCallsPerWorkplacePerHour']),
    allow,
  };
}
