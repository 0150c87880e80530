// The daemon's HTTP server across reloads: puts the HTTP settings of each loaded config in force, rebinding
// only when the address or TLS on/off changed, and says so in the log (the bound address, and a warning when
// it is reachable beyond loopback without TLS and basic auth).
import { exposureNotice } from './http-access.js';
import {
  type HttpProviders,
  type HttpServerSettings,
  needsRebind,
  type RunningHttpServer,
  startHttpServer,
} from './http-server.js';
import type { Logger } from './logger.js';

export class HttpListener {
  readonly #providers: HttpProviders;
  readonly #logger: Logger;
  #server: RunningHttpServer | null = null;
  #settings: HttpServerSettings | null = null;
  /** close() was called: final, a bind still under way then is closed as it completes. */
  #closed = false;

  constructor(providers: HttpProviders, logger: Logger) {
    this.#providers = providers;
    this.#logger = logger;
  }

  /** The address bound (the port the OS chose when the config says 0), or null before the first bind. */
  get address(): string | null {
    return this.#server?.address ?? null;
  }

  /**
   * Puts `settings` in force; returns why it cannot (the previous settings then stay in force), or null.
   * A new address is bound before the old server closes, so a bad address leaves the running one serving;
   * TLS turned on or off on the same address must close the old server first, which is started again if
   * the new one cannot bind.
   */
  async apply(settings: HttpServerSettings): Promise<string | null> {
    const running =
      this.#server === null ? null : { listen: this.#settings?.listen ?? '', tls: this.#server.tls };
    if (!needsRebind(running, settings)) {
      this.#server?.update(settings);
      this.#settings = settings;
      return null;
    }
    const previous = this.#server;
    const sameAddress = settings.listen === this.#settings?.listen;
    if (sameAddress) await previous?.close();
    let started: RunningHttpServer;
    try {
      started = await startHttpServer(settings, this.#providers);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (sameAddress && this.#settings !== null) {
        this.#server = await startHttpServer(this.#settings, this.#providers).catch(() => null);
      }
      return `daemon.httpListen: cannot listen on ${settings.listen}: ${reason}`;
    }
    if (this.#closed) {
      await started.close();
      return null;
    }
    if (!sameAddress) await previous?.close();
    this.#server = started;
    this.#settings = settings;
    const basicAuth = (settings.webConfig?.basicAuthUsers.size ?? 0) > 0;
    const url = `${started.tls ? 'https' : 'http'}://${started.address}`;
    this.#logger.info(
      {
        address: started.address,
        url,
        statusPage: `${url}/`,
        tls: started.tls,
        basicAuth,
      },
      'serving /healthz, /readyz, /status and /metrics',
    );
    const exposure = exposureNotice(started.address, started.tls, basicAuth);
    if (exposure !== null) this.#logger[exposure.level]({ address: started.address }, exposure.message);
    return null;
  }

  /** See RunningHttpServer.forgetResponses. */
  forgetResponses(): void {
    this.#server?.forgetResponses();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#server?.close();
  }
}
