import { parseMessage, serializeMessage } from '../../src/sip/message/index.js';
import { TransactionLayer } from '../../src/sip/transaction/transaction-layer.js';
import type { MessageSender, ServerTransaction } from '../../src/sip/transaction/types.js';
import { UserAgentCore } from '../../src/sip/ua/index.js';
import { SystemClock } from '../../src/util/clock.js';
import type { PhoneLink } from './phone-link.js';

/**
 * The project's SIP layers on top of a PhoneLink: received bytes are parsed and handed to the transaction layer;
 * everything sent is serialized onto the link: requests on the phone's own connection (one peer: the server),
 * responses on the flow their request arrived on.
 */
export class PhoneStack {
  readonly link: PhoneLink;
  readonly #clock = new SystemClock();
  readonly #transactions: TransactionLayer;
  #ua: UserAgentCore | undefined;
  #first: ((tx: ServerTransaction) => boolean) | undefined;
  readonly #sender: MessageSender = {
    sendRequest: (req) => this.link.send(serializeMessage(req)),
    sendResponse: (res, requestFlow) => this.link.send(serializeMessage(res), requestFlow),
  };

  constructor(link: PhoneLink) {
    this.link = link;
    this.#transactions = new TransactionLayer({
      clock: this.#clock,
      sender: this.#sender,
      tu: {
        onRequest: (tx) => {
          if (this.#first?.(tx)) return;
          this.#ua?.onRequest(tx);
        },
        onAck: (req, flow) => this.#ua?.onAck(req, flow),
      },
    });
    link.onMessage((bytes, flow) => {
      const parsed = parseMessage(bytes);
      if (!parsed.ok) return;
      const msg = parsed.message;
      if (msg.type === 'response') this.#transactions.receiveResponse(msg, flow);
      else this.#transactions.receiveRequest(msg, flow);
    });
  }

  /**
   * The UA core on this stack. `onRequest` sees every new request first and returns true for those it answered
   * itself (the NOTIFYs of our subscriptions: the UA core keeps no subscriber dialogs); `onOutOfDialog` gets the
   * out-of-dialog requests the UA core passes up.
   */
  userAgent(h: {
    onRequest: (tx: ServerTransaction) => boolean;
    onOutOfDialog: (tx: ServerTransaction) => void;
  }): UserAgentCore {
    this.#first = h.onRequest;
    this.#ua = new UserAgentCore({
      clock: this.#clock,
      transactions: this.#transactions,
      sender: this.#sender,
      localEndpoint: () => this.link.local,
      app: { onRequest: h.onOutOfDialog },
    });
    return this.#ua;
  }

  async close(): Promise<void> {
    this.#ua?.close();
    this.#transactions.close();
    await this.link.close();
  }
}
