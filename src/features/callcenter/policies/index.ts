import { circular } from './circular.js';
import { linear } from './linear.js';
import { longestIdle } from './longest-idle.js';
import { simultaneous } from './simultaneous.js';
import type { DistributionPolicy } from './types.js';
import { weighted } from './weighted.js';

export type { DistributionPolicy, PolicyContext } from './types.js';
export { circular, linear, longestIdle, simultaneous, weighted };

export const POLICY_NAMES = ['circular', 'linear', 'simultaneous', 'longest-idle', 'weighted'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Registry of the distribution policies by their configuration name. */
export const policies: Readonly<Record<PolicyName, DistributionPolicy>> = Object.freeze({
  circular,
  linear,
  simultaneous,
  'longest-idle': longestIdle,
  weighted,
});

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

/** The policy registered under `name`; throws on an unknown name (configuration error). */
export function getPolicy(name: string): DistributionPolicy {
  if (!isPolicyName(name)) throw new Error(`unknown distribution policy: ${name}`);
  return policies[name];
}
