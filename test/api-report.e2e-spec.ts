import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { committedApiReport, renderApiReport } from './support/api-report.js';

describe('public API', () => {
  it('matches docs/api-report.md (run `npm run api:report` after a deliberate change)', () => {
    assert.equal(renderApiReport(), committedApiReport());
  });

  it('exposes no raw socket, cluster message or internal provider from the server side', () => {
    const report = renderApiReport().split('## nest-chat-gateway/client')[0];
    for (const internal of [
      'WebSocket',
      'ClusterMessage',
      'DeliverItem',
      'ChatConnection',
      'OutboundService',
      'ResolvedChatOptions',
      "from 'ws'",
      "from 'ioredis'",
      "from 'prom-client'",
    ]) {
      // As a whole word: `ChatConnectionId` is a public decorator, `ChatConnection` is not.
      const word = new RegExp(`${internal}(?!\\w)`);
      assert.equal(word.test(report), false, `the public API mentions ${internal}`);
    }
  });
});
