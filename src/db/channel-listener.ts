import { Client } from 'pg';
import type { Logger } from '../logger';

/**
 * Listens on one PostgreSQL notification channel (LISTEN) and hands each
 * payload to `onPayload`: how one process hears what another did (a principal
 * disabled, an upload lock asked for). A lost connection is re-established
 * after a second; what is announced meanwhile is missed, so every user has a
 * slower path that does not depend on it (a recheck interval, a lock timeout).
 */
export class ChannelListener {
  private client: Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onPayload: (payload: string) => void,
    private readonly logger: Logger,
  ) {}

  static async start(
    url: string,
    channel: string,
    onPayload: (payload: string) => void,
    logger: Logger,
  ): Promise<ChannelListener> {
    const listener = new ChannelListener(url, channel, onPayload, logger);
    await listener.connect();
    return listener;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'custody-ledger' });
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload) this.onPayload(message.payload);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error, channel: this.channel }, 'a notification listener lost its connection');
      this.reconnectSoon();
    });
    client.on('end', () => this.reconnectSoon());
    await client.connect();
    await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
    this.client = client;
  }

  private reconnectSoon(): void {
    if (this.stopped || this.retry) return;
    this.client?.end().catch(() => {});
    this.client = undefined;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().catch(() => this.reconnectSoon());
    }, 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => {});
  }
}
