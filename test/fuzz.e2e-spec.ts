import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { CloseCode, ErrorCode } from '../src/index.js';
import { startChatApp, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';
import { within } from './support/wait.js';
import { counts } from './support/send-counts.js';

const DOCUMENTED_ERRORS = new Set<string>(Object.values(ErrorCode));
const DOCUMENTED_CLOSES = new Set<number>(Object.values(CloseCode));

/** Whether a frame is the built-in heartbeat, which the test itself uses as a probe. */
function isHeartbeat(frame: object): boolean {
  try {
    return 'text' in frame && JSON.parse(String(frame.text)).event === 'heartbeat';
  } catch {
    return false;
  }
}

/** What a frame sent to the gateway may be: any text, any bytes, any JSON, or near-envelopes. */
const anyFrame = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 300 }).map((text) => ({ text })),
    fc
      .uint8Array({ maxLength: 300 })
      .map((bytes) => ({ bytes: Buffer.from(bytes), binary: false })),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes: Buffer.from(bytes), binary: true })),
    fc.jsonValue({ maxDepth: 6 }).map((value) => ({ text: JSON.stringify(value) })),
    fc
      .record(
        { event: fc.oneof(fc.string(), fc.jsonValue()), data: fc.jsonValue() },
        { requiredKeys: [] },
      )
      .map((value) => ({ text: JSON.stringify(value) })),
  )
  .filter((frame) => !isHeartbeat(frame));

describe('property-based fuzzing of inbound frames', () => {
  let chat: TestApp;
  let client: TestClient | undefined;

  before(async () => {
    chat = await startChatApp({ rateLimit: false });
  });
  after(async () => {
    await client?.close();
    await chat.close();
  });

  it('no frame crashes the server; each gets a documented error code, an event, or a documented close code', async () => {
    const incoming: unknown[] = [];
    const subscription = chat.messaging.incoming$.subscribe((frame) => incoming.push(frame));

    await fc.assert(
      fc.asyncProperty(anyFrame, async (frame) => {
        if (!client || client.socket.readyState !== WebSocket.OPEN) {
          client = await TestClient.connectAndWelcome(chat.wsUrl('fuzzer'));
        }
        const current = client;
        const errorsBefore = current.framesOf('error').length;
        const eventsBefore = incoming.length;
        if ('text' in frame) current.socket.send(frame.text);
        else current.socket.send(frame.bytes, { binary: frame.binary });

        // A heartbeat after the frame: its answer means the frame has been dealt with.
        if (current.socket.readyState === WebSocket.OPEN) current.send({ event: 'heartbeat' });
        const outcome = await within(
          Promise.race([
            current.next('heartbeat').then(() => 'answered' as const),
            current.closed.then((close) => close),
          ]),
          5000,
          'the server to deal with the frame',
        );

        if (outcome === 'answered') {
          const errors = current.framesOf('error').slice(errorsBefore);
          for (const error of errors)
            assert.ok(DOCUMENTED_ERRORS.has(error.data.code), error.data.code);
          // Either the frame was refused with an error frame, or it reached the application.
          assert.equal(errors.length + (incoming.length - eventsBefore), 1);
        } else {
          assert.ok(DOCUMENTED_CLOSES.has(outcome.code), `close code ${outcome.code}`);
        }
      }),
      { numRuns: 300 },
    );
    subscription.unsubscribe();

    const honest = await TestClient.connectAndWelcome(chat.wsUrl('honest'));
    assert.deepEqual(counts(await chat.messaging.send('honest', 'still up')), {
      delivered: 1,
      dropped: 0,
    });
    assert.equal((await honest.next('message')).data, 'still up');
    await honest.close();
  });
});
