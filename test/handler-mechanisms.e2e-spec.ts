import assert from 'node:assert/strict';
import {
  Catch,
  Controller,
  Injectable,
  Module,
  ParseIntPipe,
  SetMetadata,
  UseFilters,
  UseGuards,
  UseInterceptors,
  ValidationPipe,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_PIPE, Reflector } from '@nestjs/core';
import { ConnectedSocket, MessageBody, WsException } from '@nestjs/websockets';
import { Test } from '@nestjs/testing';
import { IsInt, Min } from 'class-validator';
import { after, before, describe, it } from 'node:test';
import { map, type Observable } from 'rxjs';
import {
  ChatBody,
  ChatConnectionId,
  ChatFrame,
  ChatHandler,
  ChatModule,
  ChatUser,
  ChatWsAdapter,
  type ClientFrame,
  type ConnectionInfo,
} from '../src/index.js';
import { startApp, userFromQuery, type TestApp } from './support/chat-app.js';
import { TestClient } from './support/test-client.js';

class OutOfStock extends Error {}

/** Turns a domain error into the answer the client should see. */
@Catch(OutOfStock)
class StockFilter implements ExceptionFilter {
  catch(error: OutOfStock): never {
    throw new WsException({ code: 'out_of_stock', message: error.message });
  }
}

/** Wraps every answer, to show interceptors see (and may change) the return value. */
@Injectable()
class Envelope implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { user } = context.switchToWs().getClient<ConnectionInfo>();
    const data = context.switchToWs().getData<unknown>();
    return next.handle().pipe(map((result) => ({ result, user, data, type: context.getType() })));
  }
}

const Roles = (...roles: string[]) => SetMetadata('roles', roles);

/** A class-level guard reading method metadata, as an app's role guard would. */
@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.get<string[] | undefined>('roles', context.getHandler());
    if (!roles) return true;
    return roles.includes(context.switchToWs().getClient<ConnectionInfo>().user);
  }
}

class Order {
  @IsInt()
  @Min(1)
  quantity!: number;
}

@Injectable()
@UseGuards(RolesGuard)
class ShopHandlers {
  @ChatHandler('buy')
  @UseFilters(StockFilter)
  buy(@ChatBody() order: Order): { bought: number } {
    if (order.quantity > 3) throw new OutOfStock(`only 3 left, not ${order.quantity}`);
    return { bought: order.quantity };
  }

  @ChatHandler('wrapped')
  @UseInterceptors(Envelope)
  wrapped(): string {
    return 'inner';
  }

  @ChatHandler('restock')
  @Roles('manager')
  restock(): string {
    return 'restocked';
  }

  @ChatHandler('double')
  double(@ChatBody('n', ParseIntPipe) n: number): number {
    return n * 2;
  }

  @ChatHandler('params')
  params(
    @ChatUser() user: string,
    @ChatConnectionId() connectionId: string,
    @ChatFrame() frame: ClientFrame,
    @ConnectedSocket() client: ConnectionInfo,
    @MessageBody('x') x: unknown,
  ) {
    return { user, connectionId, frame, clientUser: client.user, x };
  }

  @ChatHandler('later')
  async later(@ChatBody() ms: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return 'done';
  }
}

/** Handlers may live on controllers too. */
@Controller()
class StatusController {
  @ChatHandler('status')
  status(): string {
    return 'up';
  }
}

describe('chat handlers use Nest’s own guards, pipes, interceptors and filters', () => {
  let app: TestApp;
  let client: TestClient;

  before(async () => {
    app = await startApp({
      imports: [ChatModule.forRoot({ authenticate: userFromQuery })],
      providers: [
        ShopHandlers,
        RolesGuard,
        // A global pipe applies to chat handlers as to HTTP routes.
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }),
        },
      ],
      controllers: [StatusController],
    });
    client = await TestClient.connectAndWelcome(app.wsUrl('uma'));
  });
  after(async () => {
    await client?.close();
    await app?.close();
  });

  it('a global ValidationPipe validates the DTO and names the field', async () => {
    assert.deepEqual((await client.request('buy', { quantity: 2 }, 'b1')).data, { bought: 2 });
    const invalid = await client.request('buy', { quantity: 0 }, 'b2');
    assert.equal(invalid.error.code, 'invalid');
    assert.match(invalid.error.message, /quantity/);
    const extra = await client.request('buy', { quantity: 1, coupon: 'FREE' }, 'b3');
    assert.match(extra.error.message, /coupon/);
  });

  it('a method filter turns a domain error into its own code', async () => {
    const ack = await client.request('buy', { quantity: 5 }, 'b4');
    assert.deepEqual(ack.error, { code: 'out_of_stock', message: 'only 3 left, not 5' });
  });

  it('an interceptor sees the ws context and maps the return value', async () => {
    const ack = await client.request('wrapped', { q: 1 }, 'w1');
    assert.deepEqual(ack.data, { result: 'inner', user: 'uma', data: { q: 1 }, type: 'ws' });
  });

  it('a class guard with method metadata refuses with forbidden, and lets a manager through', async () => {
    assert.equal((await client.request('restock', null, 'r1')).error.code, 'forbidden');
    const manager = await TestClient.connectAndWelcome(app.wsUrl('manager'));
    assert.equal((await manager.request('restock', null, 'r2')).data, 'restocked');
    await manager.close();
  });

  it('a parameter pipe, and the parameter decorators of both this module and Nest', async () => {
    assert.equal((await client.request('double', { n: '21' }, 'd1')).data, 42);
    const bad = await client.request('double', { n: 'many' }, 'd2');
    assert.equal(bad.error.code, 'invalid');
    const params = await client.request('params', { x: 'y' }, 'p1');
    assert.deepEqual(params.data, {
      user: 'uma',
      connectionId: client.connectionId,
      frame: { event: 'params', data: { x: 'y' }, id: 'p1' },
      clientUser: 'uma',
      x: 'y',
    });
  });

  it('handlers on controllers are found, and slow handlers do not hold back fast ones', async () => {
    const slow = client.request('later', 200, 'l1');
    assert.equal((await client.request('status', null, 's1')).data, 'up');
    assert.equal(
      client.framesOf('ack').find(({ id }) => id === 'l1'),
      undefined,
    );
    assert.equal((await slow).data, 'done');
  });
});

describe('handler discovery', () => {
  it('refuses to start with two handlers of one event, naming them', async () => {
    @Injectable()
    class First {
      @ChatHandler('same')
      one(): void {}
    }
    @Injectable()
    class Second {
      @ChatHandler('same')
      two(): void {}
    }
    @Module({ providers: [First, Second] })
    class Twice {}
    const moduleRef = await Test.createTestingModule({
      imports: [ChatModule.forRoot({ authenticate: userFromQuery }), Twice],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new ChatWsAdapter(app));
    await assert.rejects(app.init(), /two handlers for the event "same".*Second\.two/);
  });

  it('refuses a reserved or invalid event name at decoration time', () => {
    assert.throws(() => ChatHandler('heartbeat'), /reserved/);
    assert.throws(() => ChatHandler('ack'), /reserved/);
    assert.throws(() => ChatHandler(''), TypeError);
  });
});
