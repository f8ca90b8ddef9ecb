import type { FeatureCodeHandlerId, FeatureCodeRegistry } from './feature-codes.js';

/** Why a dial string leads nowhere. Stable strings: callers map them to announcements and SIP statuses. */
export type InvalidRouteReason =
  | 'empty'
  | 'malformed'
  | 'too long'
  | 'unknown feature code'
  | 'feature code needs an argument'
  | 'no such extension'
  | 'no number after external prefix';

export type Route =
  | { kind: 'workplace'; extension: string }
  | { kind: 'feature'; code: string; argument?: string; handler: FeatureCodeHandlerId }
  /** `number`: the digits as dialled with the external prefix stripped; keeps a leading '+'. */
  | { kind: 'external'; number: string }
  | { kind: 'invalid'; reason: InvalidRouteReason };

export interface ResolveDialStringInput {
  /** What the user dialled (the request URI's user part, or typed in the web client). */
  dialled: string;
  /** The extensions of the caller's tenant. Only these are reachable: tenant isolation starts here. */
  extensions: ReadonlySet<string>;
  /** The tenant's prefix for an outside line. Default '0'; '' means any unknown digit string is external. */
  externalPrefix?: string;
  registry: FeatureCodeRegistry;
}

export const DEFAULT_EXTERNAL_PREFIX = '0';

/** Longer than any E.164 number (15 digits) with prefixes, feature codes and arguments. */
const MAX_DIALLED = 32;

/** Characters people and phones put into numbers for readability: '030 / 123-45 (6)', '+49.30.1234'. */
const SEPARATORS = /[\s\-./()[\]]/g;

const DIALLABLE = /^\+?[0-9*#]+$/;

/** The dial string without visual separators. Everything else is kept, so malformed input stays malformed. */
export function normaliseDialString(dialled: string): string {
  return dialled.replace(SEPARATORS, '');
}

/**
 * What a dialled string means for a caller of one tenant. Pure: the same input always gives the same route.
 *
 * Order matters and is part of the contract:
 * 1. '*' or '#' first → a feature code (an unknown one is invalid; it never falls through to a number).
 * 2. exactly one of the tenant's extensions → that workplace (wins over the external prefix, so an operator
 *    extension '0' or an extension '010' stays reachable).
 * 3. the external prefix or a leading '+' → external.
 * 4. anything else → invalid.
 */
export function resolveDialString(input: ResolveDialStringInput): Route {
  const s = normaliseDialString(input.dialled);
  if (s === '') return invalid('empty');
  if (s.length > MAX_DIALLED) return invalid('too long');
  if (!DIALLABLE.test(s)) return invalid('malformed');

  if (s.startsWith('*') || s.startsWith('#')) {
    const m = input.registry.match(s);
    if (!m) return invalid('unknown feature code');
    if (m.def.takesArgument) {
      if (!m.argument) {
        if (m.def.argumentOptional) return { kind: 'feature', code: m.def.code, handler: m.def.id };
        return invalid('feature code needs an argument');
      }
      return { kind: 'feature', code: m.def.code, argument: m.argument, handler: m.def.id };
    }
    return { kind: 'feature', code: m.def.code, handler: m.def.id };
  }

  if (input.extensions.has(s)) return { kind: 'workplace', extension: s };

  // '*' and '#' inside a number are feature syntax, never part of a number we could dial out.
  if (s.startsWith('+')) return /^\+[0-9]+$/.test(s) ? { kind: 'external', number: s } : invalid('malformed');

  const prefix = input.externalPrefix ?? DEFAULT_EXTERNAL_PREFIX;
  if (s.startsWith(prefix)) {
    const number = s.slice(prefix.length);
    if (number === '') return invalid('no number after external prefix');
    if (!/^[0-9]+$/.test(number)) return invalid('malformed');
    return { kind: 'external', number };
  }

  return invalid('no such extension');
}

function invalid(reason: InvalidRouteReason): Route {
  return { kind: 'invalid', reason };
}
