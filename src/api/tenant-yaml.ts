import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { loadTenantDraft, type DraftTenant } from '../core/provisioning/tenant-draft.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { changeList, dryRunQuery } from './schemas.js';
import type { TenantEditor } from './tenant-edit.js';

/**
 * The tenant as the provisioning file `zentrale provision` reads (docs/provisioning.md), out and back in. Secrets
 * are write-only: the export writes `(stored)` for every device, web and trunk password and voicemail PIN, and an
 * import reads `(stored)` as "keep the stored one". A file with the marker is refused by `zentrale provision`
 * itself (too weak), so an export can never set a real password to it by accident. Export, then import of that
 * text plans no change.
 */
export const STORED = '(stored)';

type Rec = Record<string, unknown>;

const arr = (v: unknown): Rec[] => (Array.isArray(v) ? (v as Rec[]) : []);

/** Replaces every secret of a drafted tenant by `mark(current)` (export: the marker; import: the kept value). */
function secrets(t: Rec, map: (path: string[], value: unknown) => unknown): void {
  for (const w of arr(t['workplaces'])) {
    const ext = String(w['extension']);
    for (const d of arr(w['devices'])) d['password'] = map(['device', String(d['username'])], d['password']);
    if (w['webPassword'] !== undefined) w['webPassword'] = map(['web', ext], w['webPassword']);
    const vm = w['voicemail'] as Rec | undefined;
    if (vm && vm['pin'] !== undefined) vm['pin'] = map(['pin', ext], vm['pin']);
  }
  for (const tr of arr(t['trunks'])) {
    const reg = tr['register'] as Rec | undefined;
    if (reg && reg['password'] !== undefined)
      reg['password'] = map(['trunk', String(tr['id'])], reg['password']);
  }
}

export function tenantYamlRoutes(routes: RouteTable, deps: ApiDeps, editor: TenantEditor): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/export',
    tag: 'admin',
    summary: 'The tenant as a provisioning file (YAML; secrets as "(stored)")',
    access: 'admin',
    ok: { status: 200, description: 'the file', schema: z.object({ yaml: z.string() }) },
    handler: async ({ who }) => {
      const d = await loadTenantDraft(deps.store, who.tenantId);
      if (!d) throw new ApiError('NOT_FOUND', 'no such tenant');
      const t = structuredClone(d.tenant) as unknown as Rec;
      secrets(t, () => STORED);
      return { yaml: stringify({ tenants: [t] }, { lineWidth: 0 }) };
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/import',
    tag: 'admin',
    summary: 'Replace the tenant with a provisioning file of it ("(stored)" keeps a secret); dry run first',
    access: 'admin',
    query: dryRunQuery,
    body: z.strictObject({ yaml: z.string().max(60_000, 'at most 60,000 characters') }),
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, query, body }) => {
      let doc: unknown;
      try {
        doc = parse(body.yaml);
      } catch (err) {
        throw new ApiError(
          'INVALID_BODY',
          `yaml: ${err instanceof Error ? err.message : String(err)}`,
          'yaml',
        );
      }
      const tenants = arr((doc as Rec | null)?.['tenants']);
      const mine = tenants[0];
      if (tenants.length !== 1 || !mine || mine['id'] !== who.tenantId)
        throw new ApiError(
          'VALIDATION_FAILED',
          `yaml: must hold exactly this tenant (id ${who.tenantId})`,
          'yaml',
        );
      return editor.edit(who.tenantId, { dryRun: query.dryRun }, (t) => {
        const kept = new Map<string, unknown>();
        secrets(structuredClone(t) as unknown as Rec, (path, v) => void kept.set(path.join('/'), v));
        secrets(mine, (path, v) => (v === STORED ? (kept.get(path.join('/')) ?? STORED) : v));
        for (const k of Object.keys(t)) delete (t as Rec)[k];
        Object.assign(t, mine as unknown as DraftTenant);
      });
    },
  });
}
