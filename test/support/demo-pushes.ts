import type { Frame, TestClient } from './test-client.js';

/**
 * The next push of the demo other than a presence change (which the demo sends a room's members
 * whenever one comes or goes), or the next one of `type` when given: the relay also puts a copy
 * of each message a user sends into the sender's own stream.
 */
export async function nextPush(client: TestClient, type?: string): Promise<Frame> {
  for (;;) {
    const frame = await client.next('message');
    if (type === undefined ? frame.data?.type !== 'presence' : frame.data?.type === type) {
      return frame;
    }
  }
}
