/**
 * The RFC 3842 `message-summary` event package's body (`application/simple-message-summary`, section 5.2):
 * whether messages wait, the account they are for, and the voice-message counts as new/old (urgent new/urgent
 * old). We have no urgent messages, so the parenthesised part is always (0/0), which phones expect to see.
 */
export const MESSAGE_SUMMARY = 'message-summary';
export const MESSAGE_SUMMARY_TYPE = 'application/simple-message-summary';

export interface MailboxCounts {
  newCount: number;
  oldCount: number;
}

export function messageSummaryBody(account: string, c: MailboxCounts): string {
  return (
    `Messages-Waiting: ${c.newCount > 0 ? 'yes' : 'no'}\r\n` +
    `Message-Account: ${account}\r\n` +
    `Voice-Message: ${c.newCount}/${c.oldCount} (0/0)\r\n`
  );
}

/** Parses a body (for tests and tools): undefined when it is not a message summary. */
export function parseMessageSummary(
  body: string,
): { waiting: boolean; account?: string; newCount: number; oldCount: number } | undefined {
  const waiting = /^Messages-Waiting:\s*(yes|no)\s*$/im.exec(body);
  if (!waiting) return undefined;
  const account = /^Message-Account:\s*(\S+)\s*$/im.exec(body);
  const voice = /^Voice-Message:\s*(\d+)\/(\d+)/im.exec(body);
  return {
    waiting: waiting[1]!.toLowerCase() === 'yes',
    ...(account ? { account: account[1]! } : {}),
    newCount: voice ? Number(voice[1]) : 0,
    oldCount: voice ? Number(voice[2]) : 0,
  };
}
