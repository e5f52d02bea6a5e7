import 'reflect-metadata';
import { Module, UsePipes, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import { BenchChatDto } from './bench-chat.dto.js';
import { InboundEvent, inboundTally, REQUEST_ANSWER } from './inbound-tally.js';
import { serve } from './serve.js';

/**
 * What a Nest developer writes first: a `@WebSocketGateway` on `@nestjs/platform-ws`'s
 * `WsAdapter`, one `@SubscribeMessage` method per event, Nest's own dispatch (rxjs per client,
 * the websockets context creator, a promise per frame). It only handles frames; it pushes
 * nothing, so it serves the inbound scenario alone.
 */
@WebSocketGateway({ path: '/ws' })
class NaiveGateway implements OnGatewayConnection, OnGatewayDisconnect {
  connections = 0;

  handleConnection(): void {
    this.connections++;
  }

  handleDisconnect(): void {
    this.connections--;
  }

  @SubscribeMessage(InboundEvent.Plain)
  chat(): void {
    inboundTally.record();
  }

  @SubscribeMessage(InboundEvent.Validated)
  @UsePipes(new ValidationPipe())
  validated(@MessageBody() message: BenchChatDto): void {
    if (message.to) inboundTally.record();
  }

  /** Nest writes the return value back as `{"event":"chat.reply","data":…}`. */
  @SubscribeMessage(InboundEvent.Request)
  request(): typeof REQUEST_ANSWER {
    inboundTally.record();
    return REQUEST_ANSWER;
  }
}

@Module({ providers: [NaiveGateway] })
class NaiveAppModule {}

serve(async () => {
  const app = await NestFactory.create(NaiveAppModule, { logger: ['error', 'warn'] });
  app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const gateway = app.get(NaiveGateway);
  const nothing = (): void => undefined;
  return {
    wsPort: (app.getHttpServer().address() as AddressInfo).port,
    target: {
      send: nothing,
      sendMany: nothing,
      broadcast: nothing,
      connectionCount: () => gateway.connections,
    },
  };
});
