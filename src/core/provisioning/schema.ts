import { z } from 'zod';
import { DEVICE_KINDS, LANGUAGES, PACKAGES } from './types.js';

/**
 * The file format as zod schemas. Objects are strict so a misspelt key is an error rather than silently
 * ignored; new keys are added here (and in docs/provisioning.md) as features arrive.
 * Cross-entry rules (duplicates, password strength) live in cross-checks.ts: they need context zod lacks.
 */

/** YAML reads unquoted 100 as a number; say so, since "expected string" alone puzzles people. */
function digitString(what: string) {
  return z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
          : undefined,
    })
    .regex(/^[0-9]{2,8}$/, `${what} must be 2 to 8 digits`);
}

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

const hostLabel = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN_RE = new RegExp(`^(?=.{1,253}$)${hostLabel}(?:\\.${hostLabel})+$`);

export const deviceSchema = z.strictObject({
  username: z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
          : undefined,
    })
    // The user part of the device's SIP URI: unreserved characters only, so it never needs escaping.
    .regex(/^[A-Za-z0-9._~-]{1,64}$/, 'must be 1 to 64 of: letters, digits, . _ ~ -'),
  // Strength is checked in cross-checks.ts, which knows the username and extension.
  password: z.string().max(256, 'at most 256 characters'),
  kind: z.enum(DEVICE_KINDS, { error: `must be one of: ${DEVICE_KINDS.join(', ')}` }).default('deskphone'),
});

export const workplaceSchema = z.strictObject({
  extension: digitString('extension'),
  name: text(200),
  email: z.email({ error: 'not a valid e-mail address' }).max(254).nullish(),
  language: z.enum(LANGUAGES, { error: `must be one of: ${LANGUAGES.join(', ')}` }).default('de'),
  packages: z
    .array(z.enum(PACKAGES, { error: `unknown package (known: ${PACKAGES.join(', ')})` }))
    .default([]),
  devices: z.array(deviceSchema).default([]),
});

export const tenantSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62})$/, 'must be 1 to 63 of: a-z 0-9 -, not starting with -'),
  name: text(200),
  domain: z.string().trim().toLowerCase().regex(DOMAIN_RE, 'not a valid domain name (e.g. acme.example)'),
  workplaces: z.array(workplaceSchema).default([]),
});

export const fileSchema = z.strictObject({
  tenants: z.array(tenantSchema),
});

export type FileInput = z.output<typeof fileSchema>;

/** The keys each kind of object accepts, to suggest the right one for an unknown key. */
export const ALLOWED_KEYS: Record<'root' | 'tenants' | 'workplaces' | 'devices', readonly string[]> = {
  root: Object.keys(fileSchema.shape),
  tenants: Object.keys(tenantSchema.shape),
  workplaces: Object.keys(workplaceSchema.shape),
  devices: Object.keys(deviceSchema.shape),
};
