import type { SipResponse } from '../../sip/message/index.js';
import type { OutOfDialogRequestOptions } from '../../sip/ua/index.js';
import type { Flow } from '../../sip/transport/types.js';
import type { RegistrationRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import {
  MESSAGE_SUMMARY,
  MESSAGE_SUMMARY_TYPE,
  messageSummaryBody,
  type MailboxCounts,
} from './message-summary.js';

export interface UnsolicitedMwiOptions {
  /** Registered contacts of a device. */
  lookup(tenantId: string, username: string): RegistrationRecord[];
  flowOf(b: RegistrationRecord): Flow;
  request(o: OutOfDialogRequestOptions): Promise<SipResponse>;
  log: Logger;
}

/**
 * Out-of-dialog NOTIFYs (RFC 3842 section 3: "unsolicited" notifications, for devices configured to take them
 * without subscribing — many desk phones of older firmware) to every registered contact of the listed devices.
 * Best effort: a failure is logged, the next change sends the state again.
 */
export async function sendUnsolicitedMwi(
  o: UnsolicitedMwiOptions,
  x: {
    tenantId: string;
    domain: string;
    extension: string;
    devices: readonly string[];
    counts: MailboxCounts;
  },
): Promise<void> {
  const account = `sip:${x.extension}@${x.domain}`;
  const sends: Array<Promise<void>> = [];
  for (const username of x.devices) {
    for (const b of o.lookup(x.tenantId, username)) {
      sends.push(
        o
          .request({
            method: 'NOTIFY',
            flow: o.flowOf(b),
            requestUri: b.contact,
            from: `<${account}>`,
            to: `<sip:${username}@${x.domain}>`,
            headers: [
              ['Event', MESSAGE_SUMMARY],
              ['Subscription-State', 'active'],
            ],
            contentType: MESSAGE_SUMMARY_TYPE,
            body: Buffer.from(messageSummaryBody(account, x.counts)),
          })
          .then((res) => {
            if (res.status >= 300)
              o.log.info(
                {
                  event: 'mwi.unsolicited.refused',
                  tenant: x.tenantId,
                  device: username,
                  status: res.status,
                },
                'unsolicited MWI NOTIFY refused',
              );
          }),
      );
    }
  }
  await Promise.all(sends);
}
