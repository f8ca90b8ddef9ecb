import { randomFillSync } from 'node:crypto';

/**
 * Random identifiers (tags, branches, Call-IDs) from the CSPRNG, drawn from a pooled buffer: one
 * randomFillSync per 4 KiB instead of one randomBytes call per id, which showed up at 6 % of the registrar's CPU.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

function take(n: number): Buffer {
  const at = reserve(n);
  return pool.subarray(at, at + n);
}

/** Where the next `n` pooled bytes start (refilling the pool when they do not fit). */
function reserve(n: number): number {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

export function randomHex(bytes: number): string {
  const at = reserve(bytes);
  return pool.toString('hex', at, at + bytes);
}

/** Read from the pool in place (no view object per id: a NOTIFY fan-out makes a thousand branches at once). */
export function randomBase64url(bytes: number): string {
  const at = reserve(bytes);
  return pool.toString('base64url', at, at + bytes);
}

/** Fills `n` bytes of `target` from `offset` with pooled CSPRNG output (a nonce's random part, per challenge). */
export function randomInto(target: Buffer, offset: number, n: number): void {
  take(n).copy(target, offset);
}
