import type { SrtpLegKeys } from '../media-engine.js';
import { SrtpContext, type SrtpKeyMaterial } from './srtp-context.js';

/** One SRTP leg of the relay: `rx` unprotects what the phone sends (its key), `tx` protects what we send (ours). */
export class SrtpLeg {
  readonly rx: SrtpContext;
  readonly tx: SrtpContext;
  readonly #keys: SrtpLegKeys;

  constructor(keys: SrtpLegKeys) {
    this.#keys = keys;
    this.rx = new SrtpContext(keys.remote);
    this.tx = new SrtpContext(keys.local);
  }

  /** Whether these are the keys in use (a repeated answer must not reset rollover counters and replay lists). */
  uses(keys: SrtpLegKeys): boolean {
    return sameKey(this.#keys.local, keys.local) && sameKey(this.#keys.remote, keys.remote);
  }
}

function sameKey(a: SrtpKeyMaterial, b: SrtpKeyMaterial): boolean {
  return a.suite === b.suite && a.masterKey.equals(b.masterKey) && a.masterSalt.equals(b.masterSalt);
}
