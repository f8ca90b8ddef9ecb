import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Store } from '../../store/types.js';
import { parseProvisioning } from './parse.js';
import { applyProvisioning, formatChanges, planProvisioning } from './plan.js';
import type { ProvisioningChange, ProvisioningDoc } from './types.js';

/** Called after a provisioning run committed; services with caches of provisioned data refresh them here. */
export type ProvisioningListener = (changes: readonly ProvisioningChange[]) => Promise<void> | void;

/**
 * Applies provisioning files in this process and tells every registered service afterwards, in registration
 * order (a service registered later may rely on the refreshed caches of one registered before it).
 */
export class Provisioner {
  readonly #store: Store;
  readonly #listeners: ProvisioningListener[] = [];

  constructor(opts: { store: Store }) {
    this.#store = opts.store;
  }

  /** Registers a listener; the returned function removes it. */
  onProvisioned(listener: ProvisioningListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Parses, applies and announces one file; returns the human-readable summary of what changed. */
  async apply(file: string): Promise<string> {
    const doc = parseProvisioning(await readFile(file, 'utf8'), basename(file));
    const changes = await applyProvisioning(this.#store, doc);
    for (const l of [...this.#listeners]) await l(changes);
    return formatChanges(changes);
  }

  /**
   * Applies an already parsed document (an edit through the admin API) the same way, or with `dryRun` only plans
   * it. Returns the changes; listeners run only when something was written.
   */
  async applyDoc(doc: ProvisioningDoc, o: { dryRun?: boolean } = {}): Promise<ProvisioningChange[]> {
    if (o.dryRun) return planProvisioning(this.#store, doc);
    const changes = await applyProvisioning(this.#store, doc);
    for (const l of [...this.#listeners]) await l(changes);
    return changes;
  }
}
