import type { Kysely } from 'kysely';
import { KyselyBlfSubscriptionStore } from './blf-subscriptions.js';
import { KyselyCallHistoryStore } from './call-history-store.js';
import { KyselyCallCenterStore, type CallCenterStore } from './callcenter-store.js';
import { KyselyDirectoryStore } from './directory-store.js';
import { KyselyForwardingStore, type ForwardingStore } from './forwarding-store.js';
import { KyselyExecutiveStore, type ExecutiveStore } from './executive-store.js';
import { KyselyPickupStore } from './pickup-store.js';
import { KyselyParkStore, type ParkStore } from './park-store.js';
import { KyselyTollFraudStore } from './toll-fraud-store.js';
import { KyselyProvisioningStore } from './provisioning-store.js';
import { KyselyRegistrationStore } from './registration-store.js';
import type { SqliteRegistrationRounds } from './sqlite-registration-rounds.js';
import type { Database } from './schema.js';
import { KyselyTrunkStore } from './trunk-store.js';
import { KyselyVoicemailStore, type VoicemailStore } from './voicemail-store.js';
import { KyselyWebAccessStore, type WebAccessStore } from './web-access-store.js';
import type {
  BlfSubscriptionStore,
  DirectoryStore,
  PickupStore,
  ProvisioningStore,
  RegistrationStore,
  Store,
  TollFraudStore,
  TrunkStore,
} from './types.js';

type Dialect = Store['dialect'];

/**
 * The one Store implementation: the same kysely queries serve SQLite and PostgreSQL. An instance wraps either
 * the root Kysely (auto-commit) or a Transaction; `transaction()` on the latter joins it.
 */
export class KyselyStore implements Store {
  readonly dialect: Dialect;
  readonly directory: DirectoryStore;
  readonly registrations: RegistrationStore;
  readonly provisioning: ProvisioningStore;
  readonly callHistory: KyselyCallHistoryStore;
  readonly trunks: TrunkStore;
  readonly pickup: PickupStore;
  readonly park: ParkStore;
  readonly blfSubscriptions: BlfSubscriptionStore;
  readonly callCenter: CallCenterStore;
  readonly voicemail: VoicemailStore;
  readonly forwarding: ForwardingStore;
  readonly executives: ExecutiveStore;
  readonly webAccess: WebAccessStore;
  readonly tollFraud: TollFraudStore;
  readonly #db: Kysely<Database>;
  readonly #inTransaction: boolean;
  readonly #onClose: () => Promise<void>;

  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    opts: { inTransaction?: boolean; onClose?: () => Promise<void>; rounds?: SqliteRegistrationRounds } = {},
  ) {
    this.#db = db;
    this.dialect = dialect;
    this.#inTransaction = opts.inTransaction ?? false;
    this.#onClose = opts.onClose ?? (() => db.destroy());
    this.directory = new KyselyDirectoryStore(db);
    this.registrations = new KyselyRegistrationStore(
      db,
      this.#inTransaction ? { inTransaction: true } : { rounds: opts.rounds },
    );
    this.provisioning = new KyselyProvisioningStore(db);
    // Inside a database transaction nothing may be written after it ends: no rounds there.
    this.callHistory = new KyselyCallHistoryStore(db, this.#inTransaction ? { writeMs: 0 } : {});
    this.trunks = new KyselyTrunkStore(db);
    this.pickup = new KyselyPickupStore(db);
    this.park = new KyselyParkStore(db);
    this.blfSubscriptions = new KyselyBlfSubscriptionStore(db);
    this.callCenter = new KyselyCallCenterStore(db);
    this.voicemail = new KyselyVoicemailStore(db);
    this.forwarding = new KyselyForwardingStore(db);
    this.executives = new KyselyExecutiveStore(db);
    this.webAccess = new KyselyWebAccessStore(db);
    this.tollFraud = new KyselyTollFraudStore(db);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    // kysely has no nested transactions; joining keeps "one transaction" true for code that composes helpers.
    if (this.#inTransaction) return fn(this);
    return this.#db
      .transaction()
      .execute((trx) =>
        fn(new KyselyStore(trx, this.dialect, { inTransaction: true, onClose: closeInTransaction })),
      );
  }

  async close(): Promise<void> {
    // Call history waiting for its round is written before the database goes.
    if (!this.#inTransaction) await this.callHistory.flush().catch(() => undefined);
    await this.#onClose();
  }
}

function closeInTransaction(): Promise<void> {
  return Promise.reject(new Error('close() called on a transaction store; close the store that opened it'));
}
