/**
 * Voicemail codes (docs/feature-codes.md, "Voicemail"): `*62` is the BroadWorks default for voice-portal access;
 * `*86` + extension (leave a message without ringing) is ours, clear of the forwarding, DND, park, pickup and
 * call-center codes. The registry refuses codes that are prefixes of one another, so a clash fails at start-up.
 */
export const VOICEMAIL_CODES = [
  {
    code: '*62',
    takesArgument: false,
    id: 'voicemail.portal',
    description: 'voice portal: listen to messages, record the greeting, change the PIN',
  },
  {
    code: '*86',
    takesArgument: true,
    id: 'voicemail.deposit',
    description: 'leave a message in a mailbox of the tenant without ringing (*86 + extension)',
  },
] as const;
