import { Client } from 'pg';
import type { Logger } from '../logger';
import { PRINCIPAL_CHANNEL } from './principal.repository';

/**
 * Listens for principal status changes (PRINCIPAL_CHANNEL) so that a principal
 * disabled in any process is refused here from its next request. A lost
 * connection is re-established; until then the authenticator's short recheck
 * interval bounds the delay.
 */
export class PrincipalStatusListener {
  private client: Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  private constructor(
    private readonly url: string,
    private readonly onChange: (sub: string) => void,
    private readonly logger: Logger,
  ) {}

  static async start(
    url: string,
    onChange: (sub: string) => void,
    logger: Logger,
  ): Promise<PrincipalStatusListener> {
    const listener = new PrincipalStatusListener(url, onChange, logger);
    await listener.connect();
    return listener;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'custody-ledger' });
    client.on('notification', (message) => {
      if (message.channel === PRINCIPAL_CHANNEL && message.payload) this.onChange(message.payload);
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'principal status listener lost its connection');
      this.reconnectSoon();
    });
    client.on('end', () => this.reconnectSoon());
    await client.connect();
    await client.query(`LISTEN ${client.escapeIdentifier(PRINCIPAL_CHANNEL)}`);
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
