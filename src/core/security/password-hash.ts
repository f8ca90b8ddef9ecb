import { hash, verify } from '@node-rs/argon2';

/**
 * Web passwords are stored as argon2id hashes (RFC 9106) in PHC string form; the library's defaults are the
 * OWASP minimum for argon2id (19 MiB, 2 passes, 1 lane), which keeps a login well under 100 ms on one core.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** False for a wrong password and for a malformed hash (never throws). */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}
