import { z } from 'zod';
import type { RawIssue } from './raw-issue.js';

/**
 * Executives and their assistants in a tenant: the `executives:` key (docs/provisioning.md). The schema checks
 * each entry on its own; crossCheckExecutives checks what needs the rest of the tenant (both sides are workplaces
 * of the tenant with the `assistant` package, no executive twice, no one assisting themselves, divert targets).
 */

export const FILTERING_MODES = ['off', 'all', 'internal', 'external'] as const;
export type FilteringMode = (typeof FILTERING_MODES)[number];
export const ALERTING_MODES = ['simultaneous', 'sequential'] as const;
export type AlertingMode = (typeof ALERTING_MODES)[number];

function extension(what: string) {
  return z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
          : undefined,
    })
    .regex(/^[0-9]{2,8}$/, `${what} must be 2 to 8 digits`);
}

function seconds(min: number, max: number, dflt: number, zeroMeans?: string) {
  return z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(min, `at least ${min}${zeroMeans ? ` (0 = ${zeroMeans})` : ''}`)
    .max(max, `at most ${max}`)
    .default(dflt);
}

const divertTo = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number' ? `must be a quoted string, e.g. "${iss.input}"` : undefined,
  })
  .regex(
    /^([0-9]{2,8}|\+[1-9][0-9]{2,14})$/,
    'must be an extension ("305") or an E.164 number ("+4930123456")',
  );

export const executiveAssistantSchema = z.union(
  [
    extension('assistant extension'),
    z.strictObject({ extension: extension('assistant extension'), divertTo: divertTo.optional() }),
  ],
  { error: 'must be a quoted extension ("301") or { extension: "301", divertTo: "305" }' },
);

export const executiveSchema = z.strictObject({
  executive: extension('executive'),
  assistants: z
    .array(executiveAssistantSchema)
    .min(1, 'at least one assistant')
    .max(20, 'at most 20 assistants'),
  filtering: z
    .enum(FILTERING_MODES, { error: `must be one of: ${FILTERING_MODES.join(', ')}` })
    .default('all'),
  alerting: z
    .enum(ALERTING_MODES, { error: `must be one of: ${ALERTING_MODES.join(', ')}` })
    .default('simultaneous'),
  nextAssistantSeconds: seconds(3, 120, 10),
  rolloverSeconds: seconds(0, 600, 30, 'never'),
  screening: z.boolean({ error: 'must be true or false' }).default(false),
  optInOut: z.boolean({ error: 'must be true or false' }).default(true),
  pushRecallSeconds: seconds(5, 300, 20),
});

export type ExecutiveInput = z.output<typeof executiveSchema>;

/** An executive's assistants as `{ extension, divertTo }`, in alerting order. */
export function executiveAssistants(
  e: ExecutiveInput,
): Array<{ extension: string; divertTo: string | null }> {
  return e.assistants.map((a) =>
    typeof a === 'string'
      ? { extension: a, divertTo: null }
      : { extension: a.extension, divertTo: a.divertTo ?? null },
  );
}

/** Rules across a tenant's executives and workplaces, on the raw YAML data (defensively, as groups.ts). */
export function crossCheckExecutives(t: unknown, ti: number): RawIssue[] {
  const issues: RawIssue[] = [];
  const executives = field(t, 'executives');
  if (!Array.isArray(executives)) return issues;
  const packagesOf = new Map<string, unknown>();
  const workplaces = field(t, 'workplaces');
  for (const w of Array.isArray(workplaces) ? workplaces : []) {
    const ext = field(w, 'extension');
    if (typeof ext === 'string') packagesOf.set(ext, field(w, 'packages'));
  }
  const needsPackage = (ext: string, path: RawIssue['path'], role: string): void => {
    if (!packagesOf.has(ext)) {
      issues.push({ path, message: `no workplace with extension "${ext}" in this tenant` });
      return;
    }
    const pk = packagesOf.get(ext);
    if (!Array.isArray(pk) || !pk.includes('assistant'))
      issues.push({
        path,
        message: `workplace "${ext}" needs the "assistant" package (packages: [assistant]) to be ${role}`,
      });
  };
  const seenExec = new Set<string>();
  executives.forEach((e, ei) => {
    const ePath = ['tenants', ti, 'executives', ei];
    const exec = field(e, 'executive');
    if (typeof exec === 'string') {
      if (seenExec.has(exec))
        issues.push({ path: [...ePath, 'executive'], message: `executive "${exec}" listed twice` });
      seenExec.add(exec);
      needsPackage(exec, [...ePath, 'executive'], 'an executive');
    }
    const assistants = field(e, 'assistants');
    if (!Array.isArray(assistants)) return;
    const seen = new Set<string>();
    assistants.forEach((a, ai) => {
      const ext = typeof a === 'string' ? a : field(a, 'extension');
      if (typeof ext !== 'string') return;
      const aPath =
        typeof a === 'string' ? [...ePath, 'assistants', ai] : [...ePath, 'assistants', ai, 'extension'];
      if (seen.has(ext)) {
        issues.push({ path: aPath, message: `assistant "${ext}" listed twice` });
        return;
      }
      seen.add(ext);
      if (ext === exec) {
        issues.push({ path: aPath, message: 'an executive cannot be its own assistant' });
        return;
      }
      needsPackage(ext, aPath, 'an assistant');
      const divert = field(a, 'divertTo');
      if (typeof divert === 'string' && /^[0-9]{2,8}$/.test(divert)) {
        if (divert === exec)
          issues.push({
            path: [...ePath, 'assistants', ai, 'divertTo'],
            message: "diverting the executive's calls back to the executive would loop",
          });
        else if (!packagesOf.has(divert))
          issues.push({
            path: [...ePath, 'assistants', ai, 'divertTo'],
            message: `no workplace with extension "${divert}" in this tenant`,
          });
      }
    });
  });
  return issues;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}
