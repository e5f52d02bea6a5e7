import { connect } from 'node:net';
import { within } from './wait.js';

/**
 * Sends a raw HTTP request to a loopback port and resolves with the status code of the answer;
 * rejects if none comes within 5 s. The socket is destroyed either way, so a server that never
 * answers is not kept open by it.
 */
export async function rawRequestStatus(port: number, request: string): Promise<number> {
  const socket = connect(port, '127.0.0.1', () => socket.write(request));
  try {
    return await within(
      new Promise<number>((resolve, reject) => {
        let response = '';
        socket.on('data', (chunk) => {
          response += chunk;
          const match = /^HTTP\/1\.1 (\d{3})/.exec(response);
          if (match) resolve(Number(match[1]));
        });
        socket.on('error', reject);
        socket.on('close', () => reject(new Error(`closed without a status: ${response}`)));
      }),
      5000,
      'an HTTP answer',
    );
  } finally {
    socket.destroy();
  }
}

/** A raw upgrade request for the chat endpoint, with `headers` added. */
export const upgradeRequest = (headers: Record<string, string>): string =>
  [
    'GET /ws?user=raw HTTP/1.1',
    'Host: 127.0.0.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
