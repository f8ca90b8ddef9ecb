/**
 * Desk-phone codes of the executive–assistant service (docs/feature-codes.md, "Executive and assistants"): the
 * BroadWorks defaults #61–#66. Phones that cannot send '#' first (many treat it as "dial now") use `*64` for
 * "call as", which is the one code an assistant dials with a destination. The registry refuses codes that are
 * prefixes of one another, so a clash with another feature fails at start-up.
 */
export type ExecutiveAction = 'filter-on' | 'filter-off' | 'push' | 'call-as' | 'opt-in' | 'opt-out';

export interface ExecutiveCode {
  code: string;
  takesArgument: boolean;
  argumentOptional?: boolean;
  id: string;
  description: string;
  action: ExecutiveAction;
}

export const EXECUTIVE_CODES: readonly ExecutiveCode[] = [
  {
    code: '#61',
    takesArgument: true,
    argumentOptional: true,
    id: 'executive.filter-on',
    description: "executive call filtering on (an assistant: + executive's extension, or all its executives)",
    action: 'filter-on',
  },
  {
    code: '#62',
    takesArgument: true,
    argumentOptional: true,
    id: 'executive.filter-off',
    description:
      "executive call filtering off (an assistant: + executive's extension, or all its executives)",
    action: 'filter-off',
  },
  {
    code: '#63',
    takesArgument: true,
    argumentOptional: true,
    id: 'executive.push',
    description: "push the held call to the executive (+ executive's extension when assisting several)",
    action: 'push',
  },
  {
    code: '#64',
    takesArgument: true,
    id: 'executive.call-as',
    description: "call as the executive: #64 + executive's extension + * + destination",
    action: 'call-as',
  },
  {
    code: '*64',
    takesArgument: true,
    id: 'executive.call-as-star',
    description:
      'call as the executive, for phones that cannot dial # first: *64 + executive + * + destination',
    action: 'call-as',
  },
  {
    code: '#65',
    takesArgument: true,
    argumentOptional: true,
    id: 'executive.opt-in',
    description: "assistant opts in (+ executive's extension; alone: at every executive it assists)",
    action: 'opt-in',
  },
  {
    code: '#66',
    takesArgument: true,
    argumentOptional: true,
    id: 'executive.opt-out',
    description: "assistant opts out (+ executive's extension; alone: at every executive it assists)",
    action: 'opt-out',
  },
];
