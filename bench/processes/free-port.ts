import { createServer } from 'node:net';

/**
 * A loopback TCP port that was free a moment ago, for a program that must be told its port up
 * front (redis-server). Node servers listen on port 0 instead and report the port they got.
 */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port was assigned');
  return address.port;
}
