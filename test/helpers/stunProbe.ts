/**
 * One ICE connectivity check sent by hand, as a browser's first check reaches an ICE-lite server
 * (a Binding request with USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY and
 * FINGERPRINT, made with werift's STUN messages), and the address its success response came from.
 */
import dgram from 'node:dgram';
import { Message, classes, methods, parseMessage } from 'werift';

/**
 * Sends one check from `fromIp` to `to` and resolves with the address the Binding success
 * response (same transaction id) arrived from; rejects after `timeoutMs`.
 */
export async function checkFrom(
  fromIp: string,
  to: { ip: string; port: number },
  credentials: { username: string; password: string },
  timeoutMs = 2000,
): Promise<{ address: string; port: number }> {
  const request = new Message(methods.BINDING, classes.REQUEST)
    .setAttribute('USERNAME', credentials.username)
    .setAttribute('PRIORITY', 0x6e7f1eff)
    .setAttribute('ICE-CONTROLLING', 1n)
    .setAttribute('USE-CANDIDATE', null)
    .addMessageIntegrity(Buffer.from(credentials.password))
    .addFingerprint();
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, fromIp, () => resolve());
    });
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no Binding response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on('message', (data, remote) => {
        const response = parseMessage(data);
        if (response?.messageClass !== classes.RESPONSE) return;
        if (response.transactionIdHex !== request.transactionIdHex) return;
        clearTimeout(timer);
        resolve({ address: remote.address, port: remote.port });
      });
      socket.send(request.bytes, to.port, to.ip);
    });
  } finally {
    socket.close();
  }
}
