import { z } from 'zod';
import { forwardingSchema } from './forwarding.js';
import { executiveSchema } from './executives.js';
import { groupSchema } from './groups.js';
import { parsePeer } from './peer.js';
import { pickupGroupSchema, pickupTenantKeys } from './pickup.js';
import { PARK_KEYS, parkTenantKeys } from './park.js';
import { tollFraudSchema, tollFraudTenantKeys } from './toll-fraud.js';
import { voicemailSchema, VOICEMAIL_KEYS } from './voicemail.js';
import { DEVICE_KINDS, LANGUAGES, NUMBER_FORMATS, PACKAGES, TRUNK_TRANSPORTS, WEB_ROLES } from './types.js';

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

/** A string YAML might read as a number (`+4930...`, `0`, `49`): say that it must be quoted. */
function quoted() {
  return z.string({
    error: (iss) =>
      typeof iss.input === 'number'
        ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
        : undefined,
  });
}

/** E.164 with '+': country code and number, at most 15 digits. */
const e164 = () =>
  quoted().regex(/^\+[1-9][0-9]{2,14}$/, 'must be an E.164 number with "+", e.g. "+4930123456100"');

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
  externalNumber: e164().nullish(),
  // Monitored colleagues for BLF keys, in key order; same-tenant and duplicate checks in cross-checks.ts.
  blf: z.array(digitString('extension')).max(200, 'at most 200 monitored extensions').default([]),
  voicemail: voicemailSchema.optional(),
  // Call forwarding and do not disturb (forwarding.ts); targets checked against the tenant in cross-checks.
  forwarding: forwardingSchema.optional(),
  // The web login (API, browser apps): strength checked in cross-checks.ts like a device password; stored hashed.
  webPassword: z.string().max(256, 'at most 256 characters').optional(),
  role: z.enum(WEB_ROLES, { error: `must be one of: ${WEB_ROLES.join(', ')}` }).default('user'),
});

export const didSchema = z.strictObject({
  number: e164(),
  extension: digitString('extension'),
});

export const registerSchema = z.strictObject({
  username: quoted().min(1, 'must not be empty').max(128, 'at most 128 characters'),
  // Given by the carrier: its strength is not ours to judge. Kept as given (it is sent), never printed.
  password: quoted().min(1, 'must not be empty').max(256, 'at most 256 characters'),
  expires: z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(60, 'at least 60 seconds')
    .max(86_400, 'at most 86400 seconds')
    .default(600),
});

export const trunkSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62})$/, 'must be 1 to 63 of: a-z 0-9 -, not starting with -'),
  peer: z
    .string()
    .refine((s) => parsePeer(s) !== undefined, 'must be host:port (an IP address or host name; IPv6 in [ ])'),
  transport: z
    .enum(TRUNK_TRANSPORTS, { error: `must be one of: ${TRUNK_TRANSPORTS.join(', ')}` })
    .default('udp'),
  register: registerSchema.optional(),
  outboundPrefix: quoted()
    .regex(/^[0-9]{0,4}$/, 'must be 0 to 4 digits')
    .default('0'),
  numberFormat: z
    .enum(NUMBER_FORMATS, { error: `must be one of: ${NUMBER_FORMATS.join(', ')}` })
    .default('e164'),
  countryCode: quoted()
    .regex(/^[1-9][0-9]{0,2}$/, 'must be 1 to 3 digits without "+", e.g. "49"')
    .optional(),
  dids: z.array(didSchema).default([]),
  defaultCallerId: e164().optional(),
});

export const tenantSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62})$/, 'must be 1 to 63 of: a-z 0-9 -, not starting with -'),
  name: text(200),
  domain: z.string().trim().toLowerCase().regex(DOMAIN_RE, 'not a valid domain name (e.g. acme.example)'),
  workplaces: z.array(workplaceSchema).default([]),
  trunks: z.array(trunkSchema).default([]),
  ...pickupTenantKeys,
  ...parkTenantKeys,
  groups: z.array(groupSchema).default([]),
  executives: z.array(executiveSchema).default([]),
  ...tollFraudTenantKeys,
});

export const fileSchema = z.strictObject({
  tenants: z.array(tenantSchema),
});

export type FileInput = z.output<typeof fileSchema>;

/** The keys each kind of object accepts, to suggest the right one for an unknown key. */
export const ALLOWED_KEYS: Record<
  | 'root'
  | 'tenants'
  | 'workplaces'
  | 'devices'
  | 'trunks'
  | 'register'
  | 'dids'
  | 'pickupGroups'
  | 'park'
  | 'groups'
  | 'agents'
  | 'voicemail'
  | 'forwarding'
  | 'noAnswer'
  | 'executives'
  | 'assistants'
  | 'tollFraud',
  readonly string[]
> = {
  root: Object.keys(fileSchema.shape),
  tenants: Object.keys(tenantSchema.shape),
  workplaces: Object.keys(workplaceSchema.shape),
  devices: Object.keys(deviceSchema.shape),
  trunks: Object.keys(trunkSchema.shape),
  register: Object.keys(registerSchema.shape),
  dids: Object.keys(didSchema.shape),
  pickupGroups: Object.keys(pickupGroupSchema.shape),
  park: PARK_KEYS,
  groups: Object.keys(groupSchema.shape),
  agents: ['extension', 'weight'],
  voicemail: VOICEMAIL_KEYS,
  forwarding: Object.keys(forwardingSchema.shape),
  noAnswer: ['target', 'seconds'],
  executives: Object.keys(executiveSchema.shape),
  assistants: ['extension', 'divertTo'],
  tollFraud: Object.keys(tollFraudSchema.shape),
};
