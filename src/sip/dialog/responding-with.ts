import type { ServerTransaction } from '../transaction/types.js';

/**
 * `tx` as a handler sees it when its responses must go through `respond` (a re-INVITE's 2xx is kept alive by its
 * dialog until the ACK): the request, flow, key and state stay the transaction's own, read live.
 */
export function respondingWith(
  tx: ServerTransaction,
  respond: (res: Parameters<ServerTransaction['respond']>[0]) => void,
): ServerTransaction {
  return {
    get request() {
      return tx.request;
    },
    get flow() {
      return tx.flow;
    },
    get key() {
      return tx.key;
    },
    get state() {
      return tx.state;
    },
    respond,
  };
}
