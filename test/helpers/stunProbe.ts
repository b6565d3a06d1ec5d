/**
 * One ICE connectivity check sent by hand (RFC 5389 / 8445: a Binding request with USERNAME,
 * PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT), as a browser's
 * first check reaches an ICE-lite server, and where the success response came from.
 */
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

const MAGIC_COOKIE = 0x2112a442;

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A Binding request for `username` (server ufrag:client ufrag), signed with the server's password. */
export function bindingRequest(username: string, password: string): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  randomBytes(12).copy(header, 8);
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e7f1eff, 0);
  const tieBreaker = randomBytes(8);
  let body = Buffer.concat([
    attribute(0x0006, Buffer.from(username)),
    attribute(0x0024, priority),
    attribute(0x802a, tieBreaker),
    attribute(0x0025, Buffer.alloc(0)),
  ]);
  // MESSAGE-INTEGRITY covers the header with a length that already counts it (24 bytes).
  header.writeUInt16BE(body.length + 24, 2);
  const integrity = createHmac('sha1', password)
    .update(Buffer.concat([header, body]))
    .digest();
  body = Buffer.concat([body, attribute(0x0008, integrity)]);
  // FINGERPRINT likewise counts itself (8 bytes).
  header.writeUInt16BE(body.length + 8, 2);
  const fingerprint = Buffer.alloc(4);
  fingerprint.writeUInt32BE((crc32(Buffer.concat([header, body])) ^ 0x5354554e) >>> 0, 0);
  body = Buffer.concat([body, attribute(0x8028, fingerprint)]);
  return Buffer.concat([header, body]);
}

/**
 * Sends one check from `fromIp` to `to` and resolves with the address the Binding success
 * response (0x0101, same transaction id) arrived from; rejects after `timeoutMs`.
 */
export async function checkFrom(
  fromIp: string,
  to: { ip: string; port: number },
  credentials: { username: string; password: string },
  timeoutMs = 2000,
): Promise<{ address: string; port: number }> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, fromIp, () => resolve());
    });
    const request = bindingRequest(credentials.username, credentials.password);
    const transaction = request.subarray(8, 20);
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no Binding response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on('message', (message, remote) => {
        if (message.length < 20 || message.readUInt16BE(0) !== 0x0101) return;
        if (!message.subarray(8, 20).equals(transaction)) return;
        clearTimeout(timer);
        resolve({ address: remote.address, port: remote.port });
      });
      socket.send(request, to.port, to.ip);
    });
  } finally {
    socket.close();
  }
}
