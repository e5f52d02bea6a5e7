import type { Frame, TestClient } from './test-client.js';

/**
 * The next push other than a presence change, which the demo sends every connection whenever a
 * user comes or goes.
 */
export async function nextPush(client: TestClient): Promise<Frame> {
  for (;;) {
    const frame = await client.next('message');
    if (frame.data?.type !== 'presence') return frame;
  }
}
