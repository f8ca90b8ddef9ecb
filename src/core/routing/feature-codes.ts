/** Which service handles a feature code, e.g. 'pickup.directed'. Features register their own ids. */
export type FeatureCodeHandlerId = string;

export interface FeatureCodeDef {
  /** What is dialled: starts with '*' or '#', then digits, '*' or '#'. E.g. '*97'. */
  code: string;
  /** True when digits follow the code (e.g. '*97' + extension); the code then matches as a prefix. */
  takesArgument: boolean;
  /** With takesArgument: the code alone is valid too (e.g. '#65' opts in everywhere, '#65300' at 300 only). */
  argumentOptional?: boolean;
  id: FeatureCodeHandlerId;
  description: string;
}

export interface FeatureCodeMatch {
  def: FeatureCodeDef;
  /** The digits after the code, for codes that take an argument. */
  argument?: string;
}

const CODE = /^[*#][0-9*#]+$/;

/**
 * The feature codes a process understands. Built by the composition root, where each feature registers its
 * codes. The registry refuses a code that is a prefix of another (or equal to it): with codes that take an
 * argument, '*9' and '*97' would make '*971' mean two things, and the phone user cannot tell which wins.
 */
export class FeatureCodeRegistry {
  readonly #defs: FeatureCodeDef[] = [];

  register(def: FeatureCodeDef): void {
    if (!CODE.test(def.code)) {
      throw new Error(
        `feature code ${JSON.stringify(def.code)} must be '*' or '#' followed by digits, * or #`,
      );
    }
    for (const other of this.#defs) {
      if (other.code === def.code) {
        throw new Error(`feature code ${def.code} is already registered (${other.id})`);
      }
      if (other.code.startsWith(def.code) || def.code.startsWith(other.code)) {
        throw new Error(`feature code ${def.code} (${def.id}) is ambiguous with ${other.code} (${other.id})`);
      }
    }
    this.#defs.push({ ...def });
  }

  /**
   * The code that `dialled` (already normalised, see normaliseDialString) invokes. A code without argument
   * matches only exactly; one with an argument matches as a prefix, and the argument may be empty here
   * (resolveDialString decides whether that is an error).
   */
  match(dialled: string): FeatureCodeMatch | undefined {
    let best: FeatureCodeDef | undefined;
    for (const def of this.#defs) {
      const hit = def.takesArgument ? dialled.startsWith(def.code) : dialled === def.code;
      // Prefix-free registration leaves at most one hit; longest-first keeps that true if the rule ever relaxes.
      if (hit && (!best || def.code.length > best.code.length)) best = def;
    }
    if (!best) return undefined;
    return best.takesArgument ? { def: best, argument: dialled.slice(best.code.length) } : { def: best };
  }

  /** Every registered code, in registration order (for help pages and the admin UI). */
  list(): FeatureCodeDef[] {
    return this.#defs.map((d) => ({ ...d }));
  }
}
