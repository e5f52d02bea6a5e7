import assert from 'node:assert/strict';
import { ConsoleLogger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ChatModule, ChatWsAdapter } from '../src/index.js';
import { parseOpenFileLimit } from '../src/observability/open-file-limit.check.js';
import { userFromQuery } from './support/chat-app.js';
import { startDemoProcess } from './support/demo-process.js';

const own = parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'))!;

/** Keeps what the application logs, by level. */
class RecordingLogger extends ConsoleLogger {
  readonly lines: { level: string; message: string }[] = [];
  override log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  override warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
}

async function startupLog(maxConnections?: number): Promise<RecordingLogger['lines']> {
  @Module({
    imports: [ChatModule.forRoot({ authenticate: userFromQuery, limits: { maxConnections } })],
  })
  class AppModule {}
  const logger = new RecordingLogger();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger });
  app.useWebSocketAdapter(new ChatWsAdapter(app));
  await app.listen(0, '127.0.0.1');
  await app.close();
  return logger.lines.filter((line) => /open-file limit/.test(line.message));
}

describe('open-file limit at startup', { skip: process.platform !== 'linux' }, () => {
  it('the demo under a 1024 limit logs it and warns that 10000 is the threshold', async () => {
    const demo = await startDemoProcess({ CHAT_AUTH: 'query' }, ['prlimit', '--nofile=1024:1024']);
    try {
      assert.match(demo.output(), /open-file limit: 1024 \(hard 1024\)/);
      assert.match(
        demo.output(),
        /WARN.*the open-file limit \(1024\) is below 10000 \(limits.maxConnections is unset\)/,
      );
    } finally {
      await demo.stop();
    }
  });

  it('the demo at the threshold logs the limit without a warning', async () => {
    const demo = await startDemoProcess({ CHAT_AUTH: 'query' }, [
      'prlimit',
      '--nofile=10000:10000',
    ]);
    try {
      assert.match(demo.output(), /open-file limit: 10000 \(hard 10000\)/);
      assert.doesNotMatch(demo.output(), /is below/);
    } finally {
      await demo.stop();
    }
  });

  it('warns when limits.maxConnections plus the headroom exceeds the limit, not below it', async () => {
    const above = await startupLog(own.soft);
    assert.deepEqual(
      above.map((line) => line.level),
      ['log', 'warn'],
    );
    assert.match(
      above[0].message,
      new RegExp(`open-file limit: ${own.soft} \\(hard ${own.hard}\\)`),
    );
    assert.match(above[1].message, new RegExp(`below limits.maxConnections \\(${own.soft}\\)`));
    const within = await startupLog(Math.max(1, own.soft - 1_000));
    assert.deepEqual(
      within.map((line) => line.level),
      ['log'],
    );
  });
});
