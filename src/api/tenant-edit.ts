import { loadTenantDraft, type DraftTenant } from '../core/provisioning/tenant-draft.js';
import { ProvisioningError } from '../core/provisioning/parse.js';
import type { ProvisioningChange } from '../core/provisioning/types.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';

export interface EditResult {
  dryRun: boolean;
  changes: Array<Omit<ProvisioningChange, 'tenantId'>>;
}

/**
 * Changes one tenant the way a provisioning file does: read it back in the file's shape, let `mutate` edit it,
 * validate the whole tenant with the file's schema and cross-checks, and hand it to the one-transaction planner
 * (which tells the running services). Edits run one at a time, so two admins cannot lose each other's change.
 * `mutate` throws ApiError NOT_FOUND for an entity the tenant does not have; `fieldOf` maps a planner path
 * (`workplaces[3].devices[0].password`) to the request's field names.
 */
export class TenantEditor {
  readonly #deps: ApiDeps;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: ApiDeps) {
    this.#deps = deps;
  }

  edit(
    tenantId: string,
    o: { dryRun: boolean; fieldOf?: (path: string) => string },
    mutate: (t: DraftTenant, keep: string) => void,
  ): Promise<EditResult> {
    const run = this.#queue.then(() => this.#edit(tenantId, o, mutate));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #edit(
    tenantId: string,
    o: { dryRun: boolean; fieldOf?: (path: string) => string },
    mutate: (t: DraftTenant, keep: string) => void,
  ): Promise<EditResult> {
    const draft = await loadTenantDraft(this.#deps.store, tenantId);
    if (!draft) throw new ApiError('NOT_FOUND', 'no such tenant');
    mutate(draft.tenant, draft.keep);
    let changes: ProvisioningChange[];
    try {
      changes = await this.#deps.provisioner.applyDoc(draft.toDoc(), { dryRun: o.dryRun });
    } catch (err) {
      if (!(err instanceof ProvisioningError)) throw err;
      const issues = err.issues.map((i) => ({
        field: o.fieldOf ? o.fieldOf(i.path) : i.path,
        message: i.message,
      }));
      const first = issues[0]!;
      throw new ApiError('VALIDATION_FAILED', `${first.field}: ${first.message}`, first.field, issues);
    }
    this.#deps.log.info(
      { event: 'api.admin.edit', tenant: tenantId, dryRun: o.dryRun, changes: changes.length },
      'tenant edited',
    );
    return { dryRun: o.dryRun, changes: changes.map(({ tenantId: _t, ...c }) => c) };
  }
}

/** `workplaces[3].blf[0]` → `blf[0]` when workplace 3 is the one edited; other paths stay whole. */
export function relativeTo(prefix: string): (path: string) => string {
  return (path) =>
    path === prefix
      ? '(body)'
      : path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)
        ? path.slice(prefix.length).replace(/^\./, '')
        : path;
}

/** Puts `entry` in place of the one `matches` finds, or at the end; returns its index (for field paths). */
export function putEntry<T>(list: T[], matches: (x: T) => boolean, entry: T): number {
  const at = list.findIndex(matches);
  if (at < 0) return list.push(entry) - 1;
  list[at] = entry;
  return at;
}

/** Removes the entry `matches` finds, or answers 404 with `missing`. */
export function removeEntry<T>(list: T[], matches: (x: T) => boolean, missing: string): void {
  const at = list.findIndex(matches);
  if (at < 0) throw new ApiError('NOT_FOUND', missing);
  list.splice(at, 1);
}
