/**
 * The load generator's HTTP client, for both servers: node:http with one keep-alive agent.
 *
 * undici's `fetch` costs several event-loop turns per request (its pool, web streams, the body
 * reader). The load generator's loop is busy with werift peers, so each turn waits behind their
 * RTP work: in the join scenario, fetch added ~4 ms to a join whose server side took ~4 ms
 * (server spans measured in the same run), which the baseline, signalling over an open WebSocket,
 * never paid. A browser's fetch does not queue behind werift; node:http takes two turns.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpJsonRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
}

export function httpJson<T>(url: string, request: HttpJsonRequest): Promise<T> {
  const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: request.method,
        agent,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          ...request.headers,
        },
        timeout: request.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            reject(new Error(`HTTP ${res.statusCode ?? '?'} from ${url}: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${request.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
