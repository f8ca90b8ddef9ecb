import { z } from 'zod';
import type { RawIssue } from './raw-issue.js';
import { GROUP_POLICIES } from './types.js';

/**
 * Call-center groups in a tenant: the `groups:` key. The schema checks each group on its
 * own; crossCheckGroups checks what needs the rest of the tenant (agents are the tenant's workplaces with the
 * `group` package, extensions unique across workplaces and groups, the overflow target exists).
 */

function digits(what: string) {
  return z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
          : undefined,
    })
    .regex(/^[0-9]{2,8}$/, `${what} must be 2 to 8 digits`);
}

function seconds(min: number, max: number, dflt: number) {
  return z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(min, `at least ${min}`)
    .max(max, `at most ${max}`)
    .default(dflt);
}

export const groupAgentSchema = z.union(
  [
    digits('agent extension'),
    z.strictObject({
      extension: digits('agent extension'),
      weight: z
        .number({ error: 'must be a whole number 1 to 100' })
        .int('must be a whole number 1 to 100')
        .min(1, 'at least 1')
        .max(100, 'at most 100')
        .default(1),
    }),
  ],
  { error: 'must be a quoted extension ("101") or { extension: "101", weight: 2 }' },
);

export const groupSchema = z.strictObject({
  extension: digits('extension'),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters'),
  policy: z
    .enum(GROUP_POLICIES, { error: `must be one of: ${GROUP_POLICIES.join(', ')}` })
    .default('circular'),
  agents: z.array(groupAgentSchema).default([]),
  allowAgentLogin: z.boolean({ error: 'must be true or false' }).default(true),
  ringTimeout: seconds(5, 120, 15),
  wrapUp: seconds(0, 3600, 0),
  maxQueue: z
    .number({ error: 'must be a whole number 1 to 525' })
    .int('must be a whole number 1 to 525')
    .min(1, 'at least 1')
    .max(525, 'at most 525')
    .default(20),
  maxWait: seconds(10, 86_400, 300),
  overflow: z
    .string({
      error: (iss) =>
        typeof iss.input === 'number' ? `must be a quoted string, e.g. "${iss.input}"` : undefined,
    })
    .regex(
      /^(busy|[0-9]{2,8}|\+[1-9][0-9]{2,14})$/,
      'must be "busy", an extension or group ("700"), or an E.164 number ("+4930123456")',
    )
    .default('busy'),
  // Audio uploads do not exist yet: only the built-in music. A named file is refused rather than ignored.
  music: z
    .literal('default', { error: 'only "default" (the built-in music) until audio uploads exist' })
    .default('default'),
  comfortEvery: z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .refine((n) => n === 0 || (n >= 10 && n <= 600), '0 (off) or 10 to 600 seconds')
    .default(30),
  priority: z
    .number({ error: 'must be a whole number 0 to 9' })
    .int('must be a whole number 0 to 9')
    .min(0, 'at least 0')
    .max(9, 'at most 9')
    .default(0),
  missesBeforeUnavailable: z
    .number({ error: 'must be a whole number 0 to 5' })
    .int('must be a whole number 0 to 5')
    .min(0, 'at least 0 (0 = never)')
    .max(5, 'at most 5')
    .default(3),
});

export type GroupInput = z.output<typeof groupSchema>;

/** A group's agents as `{ extension, weight }`, in list order. */
export function groupAgents(g: GroupInput): Array<{ extension: string; weight: number }> {
  return g.agents.map((a) => (typeof a === 'string' ? { extension: a, weight: 1 } : a));
}

/**
 * Rules across a tenant's groups and workplaces, on the raw YAML data (defensively: the structure may be wrong in
 * places, the schema reports that).
 */
export function crossCheckGroups(t: unknown, ti: number): RawIssue[] {
  const issues: RawIssue[] = [];
  const groups = field(t, 'groups');
  if (!Array.isArray(groups)) return issues;
  const workplaces = field(t, 'workplaces');
  const packagesOf = new Map<string, unknown>();
  for (const w of Array.isArray(workplaces) ? workplaces : []) {
    const ext = field(w, 'extension');
    if (typeof ext === 'string') packagesOf.set(ext, field(w, 'packages'));
  }
  const groupExts = new Map<string, number>();
  groups.forEach((g, gi) => {
    const ext = field(g, 'extension');
    if (typeof ext === 'string') {
      if (!groupExts.has(ext)) groupExts.set(ext, gi);
    }
  });
  groups.forEach((g, gi) => {
    const gPath = ['tenants', ti, 'groups', gi];
    const ext = field(g, 'extension');
    if (typeof ext === 'string') {
      if (groupExts.get(ext) !== gi)
        issues.push({ path: [...gPath, 'extension'], message: `duplicate group extension "${ext}"` });
      if (packagesOf.has(ext))
        issues.push({
          path: [...gPath, 'extension'],
          message: `extension "${ext}" is already a workplace of this tenant`,
        });
    }
    const agents = field(g, 'agents');
    if (Array.isArray(agents)) {
      const seen = new Set<string>();
      agents.forEach((a, ai) => {
        const aExt = typeof a === 'string' ? a : field(a, 'extension');
        if (typeof aExt !== 'string') return;
        const aPath =
          typeof a === 'string' ? [...gPath, 'agents', ai] : [...gPath, 'agents', ai, 'extension'];
        if (seen.has(aExt)) {
          issues.push({ path: aPath, message: `agent "${aExt}" listed twice` });
          return;
        }
        seen.add(aExt);
        if (!packagesOf.has(aExt)) {
          issues.push({ path: aPath, message: `no workplace with extension "${aExt}" in this tenant` });
          return;
        }
        const pk = packagesOf.get(aExt);
        if (!Array.isArray(pk) || !pk.includes('group'))
          issues.push({
            path: aPath,
            message: `workplace "${aExt}" needs the "group" package (packages: [group]) to be an agent`,
          });
      });
    }
    const overflow = field(g, 'overflow');
    if (typeof overflow === 'string' && /^[0-9]{2,8}$/.test(overflow)) {
      if (overflow === ext)
        issues.push({ path: [...gPath, 'overflow'], message: 'a group cannot overflow to itself' });
      else if (!packagesOf.has(overflow) && !groupExts.has(overflow))
        issues.push({
          path: [...gPath, 'overflow'],
          message: `no workplace or group with extension "${overflow}" in this tenant`,
        });
    }
  });
  return issues;
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}
