import { z } from 'zod';
import type { ApiDeps, ExecutivePort, ExecutiveState } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import type { Principal } from './session-service.js';
import { extension } from './schemas.js';
import { relativeTo, type TenantEditor } from './tenant-edit.js';

/**
 * Executive–assistant settings (BroadWorks' Executive and Executive-Assistant services), in the model of the
 * PBX's executive service (docs/provisioning.md, "Executives"): the provisioned filtering mode
 * (off/all/internal/external) and alerting, the executive's runtime filter switch, and per assistant and
 * executive the opt-in and the divert switch. Who may do what:
 *
 * - an executive reads its own settings and changes its own filter (switch, mode, alerting);
 * - an assistant reads the executives it assists and changes only its own opt-in and divert for each;
 * - an admin reads and changes every executive of its tenant.
 *
 * An executive the caller may not see (another tenant's, or one it neither is nor assists) answers 404 exactly
 * like a missing one; one it may see but not change answers 403. Mode and alerting are provisioning settings and
 * go through the planner (as an admin edit would); the switches are the same runtime state the codes #61-#66 flip.
 */
const filteringMode = z.enum(['off', 'all', 'internal', 'external']);
const alertingMode = z.enum(['simultaneous', 'sequential']);
/** An extension or an E.164 number, as provisioning's `divertTo`. */
const divertTarget = z
  .string()
  .regex(/^([0-9]{2,8}|\+[1-9][0-9]{2,14})$/, 'must be an extension or an E.164 number');

const assistantView = z.object({
  extension: z.string(),
  name: z.string(),
  optedIn: z.boolean(),
  divertTo: z.string().nullable(),
  divertOn: z.boolean().describe('divert in force: the switch is on and a target is set'),
});
const executiveView = z.object({
  extension: z.string(),
  name: z.string(),
  filtering: filteringMode,
  filterOn: z.boolean().describe('the runtime filter switch; false whenever filtering is off'),
  alerting: alertingMode,
  screening: z.boolean(),
  optInOut: z.boolean().describe('assistants may opt in and out (else always in)'),
  assistants: z.array(assistantView),
});
const executiveParams = z.strictObject({ executive: extension });
const assistantParams = z.strictObject({ executive: extension, assistant: extension });

const executiveChange = z
  .strictObject({ filterOn: z.boolean(), filtering: filteringMode, alerting: alertingMode })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'name at least one of filterOn, filtering, alerting');
const assistantChange = z
  .strictObject({ optedIn: z.boolean(), divertOn: z.boolean(), divertTo: divertTarget.nullable() })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'name at least one of optedIn, divertOn, divertTo');

export function executiveRoutes(routes: RouteTable, deps: ApiDeps, editor: TenantEditor): void {
  const port = (): ExecutivePort => {
    if (!deps.executives)
      throw new ApiError('NOT_IMPLEMENTED', 'executive–assistant is not available in this build');
    return deps.executives;
  };
  const view = async (who: Principal, list: ExecutiveState[]) => {
    const plan = await deps.directory.plan(who.tenantId);
    const name = (ext: string) => plan.workplace(ext)?.name ?? '';
    return list.map((e) => ({
      ...e,
      name: name(e.extension),
      assistants: e.assistants.map((a) => ({ ...a, name: name(a.extension) })),
    }));
  };
  /** The executive if `who` may see it, else NOT_FOUND (also for another tenant's). */
  const visible = async (who: Principal, executive: string): Promise<ExecutiveState> => {
    const e = (await port().executives(who.tenantId)).find((x) => x.extension === executive);
    if (!e || !sees(who, e)) throw new ApiError('NOT_FOUND', `no executive ${executive}`);
    return e;
  };
  const reread = async (who: Principal, executive: string) =>
    (await view(who, [await visible(who, executive)]))[0]!;
  /** A provisioning change of one executive, through the planner (validated like a file). */
  const provision = async (
    who: Principal,
    executive: string,
    apply: (e: Record<string, unknown>) => void,
  ) => {
    let at = -1;
    await editor.edit(
      who.tenantId,
      { dryRun: false, fieldOf: (p) => relativeTo(`executives[${at}]`)(p) },
      (t) => {
        const list = (t['executives'] ?? []) as Array<Record<string, unknown>>;
        at = list.findIndex((e) => e['executive'] === executive);
        if (at < 0) throw new ApiError('NOT_FOUND', `no executive ${executive}`);
        apply(list[at]!);
      },
    );
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/executives',
    tag: 'executive',
    summary: 'The executives I am or assist (an admin: every executive of the tenant)',
    access: 'user',
    ok: { status: 200, description: 'in extension order', schema: z.array(executiveView) },
    errors: [501],
    handler: async ({ who }) =>
      view(
        who,
        (await port().executives(who.tenantId)).filter((e) => sees(who, e)),
      ),
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/executives/:executive',
    tag: 'executive',
    summary: 'One executive: filtering mode and switch, alerting, its assistants with opt-in and divert',
    access: 'user',
    params: executiveParams,
    ok: { status: 200, description: 'the executive', schema: executiveView },
    errors: [404, 501],
    handler: async ({ who, params }) => reread(who, params.executive),
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/executives/:executive',
    tag: 'executive',
    summary:
      'Change my filter (the executive itself, or an admin): `filterOn` (the runtime switch, as #61/#62), ' +
      '`filtering` and `alerting` (provisioning settings, through the planner)',
    access: 'user',
    params: executiveParams,
    body: executiveChange,
    ok: { status: 200, description: 'the executive after the change', schema: executiveView },
    errors: [403, 404, 422, 501],
    handler: async ({ who, params, body }) => {
      const e = await visible(who, params.executive);
      if (who.role !== 'admin' && who.workplace !== e.extension)
        throw new ApiError('FORBIDDEN', 'only the executive itself or an admin changes its filter');
      if (body.filtering !== undefined || body.alerting !== undefined)
        await provision(who, e.extension, (x) => {
          if (body.filtering !== undefined) x['filtering'] = body.filtering;
          if (body.alerting !== undefined) x['alerting'] = body.alerting;
        });
      if (body.filterOn !== undefined) await port().setFilter(who.tenantId, e.extension, body.filterOn);
      deps.log.info(
        { event: 'api.executive.changed', tenant: who.tenantId, user: who.workplace, executive: e.extension },
        'executive settings changed',
      );
      return reread(who, e.extension);
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/executives/:executive/assistants/:assistant',
    tag: 'executive',
    summary:
      "An assistant's opt-in and divert for one executive (the assistant itself, or an admin); `divertTo` is a " +
      'provisioning setting (through the planner), `divertOn` the runtime switch',
    access: 'user',
    params: assistantParams,
    body: assistantChange,
    ok: { status: 200, description: 'the executive after the change', schema: executiveView },
    errors: [403, 404, 409, 422, 501],
    handler: async ({ who, params, body }) => {
      const e = await visible(who, params.executive);
      const a = e.assistants.find((x) => x.extension === params.assistant);
      if (!a) throw new ApiError('NOT_FOUND', `${params.assistant} is no assistant of ${e.extension}`);
      if (who.role !== 'admin' && who.workplace !== a.extension)
        throw new ApiError(
          'FORBIDDEN',
          'only the assistant itself or an admin changes its opt-in and divert',
        );
      if (body.optedIn !== undefined && !e.optInOut)
        throw new ApiError('CONFLICT', 'opt-in is fixed by configuration for this executive', 'optedIn');
      const target = body.divertTo === undefined ? a.divertTo : body.divertTo;
      if (body.divertOn === true && target === null)
        throw new ApiError('CONFLICT', 'set divertTo before switching divert on', 'divertOn');
      if (body.divertTo !== undefined)
        await provision(who, e.extension, (x) => {
          const list = x['assistants'] as Array<string | Record<string, unknown>>;
          const i = list.findIndex((y) => (typeof y === 'string' ? y : y['extension']) === a.extension);
          list[i] = { extension: a.extension, ...(body.divertTo ? { divertTo: body.divertTo } : {}) };
        });
      if (body.optedIn !== undefined)
        await port().setOptIn(who.tenantId, e.extension, a.extension, body.optedIn);
      if (body.divertOn !== undefined)
        await port().setDivert(who.tenantId, e.extension, a.extension, body.divertOn);
      deps.log.info(
        {
          event: 'api.assistant.changed',
          tenant: who.tenantId,
          user: who.workplace,
          executive: e.extension,
          assistant: a.extension,
        },
        'assistant settings changed',
      );
      return reread(who, e.extension);
    },
  });
}

function sees(who: Principal, e: ExecutiveState): boolean {
  return (
    who.role === 'admin' ||
    e.extension === who.workplace ||
    e.assistants.some((a) => a.extension === who.workplace)
  );
}
