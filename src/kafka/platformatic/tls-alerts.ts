// A broker that refuses georep's client certificate does so after the TLS 1.3 handshake has completed on
// georep's side: its alert (bad_certificate, certificate_unknown, …) reaches the library as an 'error' event
// of the connection, and the request that was waiting fails only with "Connection closed". TlsAlerts keeps
// the last such alert of one library client, so that the request's failure can be reported as what it was.
import { type Broker, type Connection, NetworkError } from '@platformatic/kafka';
import { errorTree, findTlsFailure } from './map-error.js';

/** An alert older than this no longer explains a closed connection. */
const ALERT_WINDOW_MS = 10_000;
/** What the library's request callbacks get when a connection closes under them. */
const CLOSED_WITHOUT_REASON = 'Connection closed';

interface ConnectionEmitter {
  on(event: string, listener: (payload: { broker: Broker; connection: Connection }) => void): unknown;
}

export class TlsAlerts {
  #last: { error: NetworkError; atMs: number } | null = null;

  /**
   * Listens to the connections `emitter` opens: the library's clients announce them as
   * 'client:broker:connect', a ConnectionPool of our own as 'connect'.
   */
  watch(emitter: ConnectionEmitter, event: 'client:broker:connect' | 'connect'): void {
    emitter.on(event, ({ broker, connection }) => {
      connection.once('error', (error: unknown) => {
        const alert = findTlsFailure(errorTree(error)) as Error | undefined;
        if (alert === undefined) return;
        const address = `${broker.host}:${broker.port}`;
        this.#last = {
          error: new NetworkError(`Connection to ${address} failed.`, { cause: alert }),
          atMs: Date.now(),
        };
      });
    });
  }

  /**
   * The error to map: a connection closed without a reason just after a broker's TLS alert becomes that alert
   * (naming the broker); any other error is returned as it is.
   */
  explain(error: unknown): unknown {
    if (this.#last === null || Date.now() - this.#last.atMs > ALERT_WINDOW_MS) return error;
    const tree = errorTree(error);
    const closedWithoutReason =
      tree.some((link) => link.message === CLOSED_WITHOUT_REASON) && findTlsFailure(tree) === undefined;
    return closedWithoutReason ? this.#last.error : error;
  }
}
