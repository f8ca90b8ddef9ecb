import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Voicemail PIN hashes: scrypt (RFC 7914) with N = 2^14, r = 8, p = 1 — only the hash is stored, never the PIN.
 * A PIN has little entropy, so the memory-hard function is what makes an offline guess costly. Format:
 * `scrypt$N$r$p$salt$hash` (base64).
 */
const N = 16384;
const R = 8;
const P = 1;
const KEY = 32;

/**
 * The provisioned PIN's hash. Its salt is derived from tenant and extension instead of drawn at random, so that
 * applying an unchanged file gives the same hash (provisioning compares, and must not report a change every run);
 * it is still unique per mailbox, which is what a salt is for.
 */
export function hashProvisionedPin(pin: string, tenantId: string, extension: string): string {
  const salt = createHash('sha256')
    .update(`zentrale voicemail pin\0${tenantId}\0${extension}`)
    .digest()
    .subarray(0, 16);
  return format(salt, scryptSync(pin, salt, KEY, { N, r: R, p: P }));
}

/** A PIN set at run time (the voice portal): a random salt. */
export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  return format(salt, await derive(pin, salt, N, R, P));
}

/** Whether `pin` matches `stored` (constant-time compare); false for a malformed hash. */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const want = Buffer.from(m[5]!, 'base64');
  const got = await derive(pin, Buffer.from(m[4]!, 'base64'), Number(m[1]), Number(m[2]), Number(m[3]));
  return want.length === got.length && timingSafeEqual(want, got);
}

function derive(pin: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(pin, salt, KEY, { N: n, r, p }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

function format(salt: Buffer, key: Buffer): string {
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}
