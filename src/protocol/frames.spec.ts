import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorText, heartbeatText, messageText, parseEnvelope, welcomeText } from './frames.js';

describe('protocol frames', () => {
  it('builds the welcome, heartbeat, error and message frames', () => {
    assert.deepEqual(
      JSON.parse(welcomeText({ user: 'u', connectionId: 'c1', heartbeatIntervalMs: 25_000 })),
      { event: 'welcome', data: { user: 'u', connectionId: 'c1', heartbeatIntervalMs: 25_000 } },
    );
    const full = {
      user: 'u "\\ \u00e9\u2028',
      connectionId: 'n-1',
      heartbeatIntervalMs: 25_000,
      epoch: 'e1',
      offset: 7,
      recovered: false,
      rooms: { 'r "1"': { epoch: 'e2', offset: 3, recovered: true } },
    };
    assert.equal(welcomeText(full), JSON.stringify({ event: 'welcome', data: full }));
    assert.deepEqual(JSON.parse(heartbeatText(123)), { event: 'heartbeat', data: { ts: 123 } });
    assert.deepEqual(JSON.parse(errorText({ code: 'bad_json', message: 'nope' })), {
      event: 'error',
      data: { code: 'bad_json', message: 'nope' },
    });
    assert.deepEqual(JSON.parse(messageText('[1,"a"]')), { event: 'message', data: [1, 'a'] });
  });

  it('parses envelopes and refuses anything else', () => {
    assert.deepEqual(parseEnvelope('{"event":"message","data":[1]}'), {
      event: 'message',
      data: [1],
    });
    assert.deepEqual(parseEnvelope('{"event":"heartbeat"}'), {
      event: 'heartbeat',
      data: undefined,
    });
    for (const text of ['', '{', 'null', '[]', '"x"', '{"event":""}', '{"event":7}', '{}']) {
      assert.equal(parseEnvelope(text), undefined, text);
    }
  });
});
