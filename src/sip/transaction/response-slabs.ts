import type { Flow } from '../transport/types.js';
import type { WireCopy } from './types.js';

/** A kept response: `length` bytes of `slab` from `offset`, and where they went. */
export interface SlabCopy {
  readonly slab: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly to: Flow;
}

/**
 * Bytes of kept responses are copied into slabs of this size, one after the other. Completed entries fall due in
 * the order they were added (completed-responses.ts), so a slab's entries die together and the slab with them: one
 * allocation per few hundred responses instead of each response's own buffer — which, cut from Node's shared
 * 8 KiB pool, kept its whole pool page alive for 32 s (hundreds of megabytes in a registration storm).
 */
const SLAB_BYTES = 256 * 1024;
/** A response larger than this keeps its own buffer rather than a slab's tail. */
const SLAB_MAX_COPY = SLAB_BYTES / 8;

/** Copies of sent responses for the Completed state of server transactions (RFC 3261 17.2.2). */
export class ResponseSlabs {
  #slab: Buffer | undefined;
  #used = 0;

  /** A copy of `copy.bytes` (the caller may reuse its buffer). */
  keep(copy: WireCopy): SlabCopy {
    const n = copy.bytes.length;
    if (n > SLAB_MAX_COPY) return { slab: Buffer.from(copy.bytes), offset: 0, length: n, to: copy.to };
    let slab = this.#slab;
    if (slab === undefined || this.#used + n > slab.length) {
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#slab = slab;
      this.#used = 0;
    }
    const offset = this.#used;
    copy.bytes.copy(slab, offset);
    this.#used = offset + n;
    return { slab, offset, length: n, to: copy.to };
  }

  /** The kept bytes as a view (made only for a retransmission, which is rare). */
  static view(c: SlabCopy): WireCopy {
    return { bytes: c.slab.subarray(c.offset, c.offset + c.length), to: c.to };
  }

  /** Lets go of the current slab (the entries holding it keep it until they expire). */
  reset(): void {
    this.#slab = undefined;
    this.#used = 0;
  }
}
