import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  id: string;
  timestamp: number;
  signatureValid: boolean;
  body: {
    type: string;
    timestamp: string;
    data: { roomId: string; sequence: number; type: string } & Record<string, unknown>;
  };
}

/**
 * A webhook receiver on 127.0.0.1, as an application would run one: it verifies Standard Webhooks
 * signatures itself (written here from the specification, not with the server's code) and can be
 * taken down (it then answers 503) or closed altogether.
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  attempts = 0;
  down = false;
  #server: Server | undefined;
  #port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hooks`;
  }

  async start(port = this.#port): Promise<void> {
    this.#server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        this.attempts++;
        if (this.down) {
          response.writeHead(503).end();
          return;
        }
        const id = String(request.headers['webhook-id']);
        const timestamp = Number(request.headers['webhook-timestamp']);
        const key = Buffer.from(this.secret.slice('whsec_'.length), 'base64');
        const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
        const signatureValid = String(request.headers['webhook-signature'])
          .split(' ')
          .some((signature) => {
            const [version, value] = signature.split(',');
            const given = Buffer.from(value ?? '', 'base64');
            return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
          });
        this.deliveries.push({ id, timestamp, signatureValid, body: JSON.parse(body) as Delivery['body'] });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** The events delivered for a room, in arrival order, as `sequence:TYPE`. */
  of(roomId: string): string[] {
    return this.deliveries
      .filter((delivery) => delivery.body.data.roomId === roomId)
      .map((delivery) => `${delivery.body.data.sequence}:${delivery.body.data.type}`);
  }

  async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}: ${JSON.stringify(this.deliveries.map((d) => d.body.data))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
