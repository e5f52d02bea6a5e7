import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { userIds } from '../users.js';
import type { JoseVerifySpec } from './jose-verify.js';
import { fillerFor, stamped } from './payload.js';
import { collectGarbage, type ProcessMonitor } from './process-stats.js';
import { pushStorm, type StormSpec } from './push-storm.js';
import type { PushTarget } from './push-target.js';

/** Body of `POST /broadcast` and `POST /send-many` (the latter to users u0…u(userCount-1)). */
export interface FanOutSpec {
  bytes: number;
  userCount?: number;
}

/** Body of `POST /rooms/join`. */
export interface JoinRoomSpec {
  room: string;
  users: string[];
}

/** Body of `POST /rooms/send`. */
export interface RoomSendSpec {
  room: string;
  bytes: number;
}

/** Answer of the fan-out routes: the timestamp the payload carries. */
export interface FanOutResult {
  sentNs: number;
}

type Route = (body: any) => unknown;

/**
 * The HTTP control contract every benchmark server offers, on its own loopback port so that it
 * never shares a code path with the system under test:
 *
 * | route                          | body          | answer          |
 * | ------------------------------ | ------------- | --------------- |
 * | `GET /stats`                   |               | `ProcessStats`  |
 * | `POST /gc`                     |               | `ProcessStats` after a full GC |
 * | `POST /event-loop-delay/reset` |               | `{}`            |
 * | `POST /push-storm`             | `StormSpec`   | `StormResult` once every send was issued |
 * | `POST /broadcast`              | `FanOutSpec`  | `FanOutResult`  |
 * | `POST /send-many`              | `FanOutSpec`  | `FanOutResult`  |
 * | `POST /rooms/join`             | `JoinRoomSpec` | `{}` once the users are members |
 * | `POST /rooms/send`             | `RoomSendSpec` | `FanOutResult` |
 * | `POST /jose/verify`            | `JoseVerifySpec` | `JoseVerifyResult` |
 *
 * The rooms routes answer 500 on a system without rooms.
 */
export async function startControlServer(
  target: PushTarget,
  monitor: ProcessMonitor,
): Promise<number> {
  const routes: Record<string, Route> = {
    'GET /stats': () => monitor.snapshot(),
    'POST /gc': async () => {
      await collectGarbage();
      return monitor.snapshot();
    },
    'POST /event-loop-delay/reset': () => {
      monitor.resetEventLoopDelay();
      return {};
    },
    'POST /push-storm': (spec: StormSpec) => pushStorm(target, spec),
    'POST /broadcast': (spec: FanOutSpec) => {
      const payload = stamped(fillerFor(spec.bytes));
      target.broadcast(payload);
      return { sentNs: payload.t } satisfies FanOutResult;
    },
    'POST /send-many': (spec: FanOutSpec) => {
      const users = userIds(spec.userCount ?? 0);
      const payload = stamped(fillerFor(spec.bytes));
      target.sendMany(users, payload);
      return { sentNs: payload.t } satisfies FanOutResult;
    },
    'POST /rooms/join': async (spec: JoinRoomSpec) => {
      if (!target.joinRoom) throw new Error('this system has no rooms');
      await target.joinRoom(spec.room, spec.users);
      return {};
    },
    'POST /rooms/send': (spec: RoomSendSpec) => {
      if (!target.sendToRoom) throw new Error('this system has no rooms');
      const payload = stamped(fillerFor(spec.bytes));
      target.sendToRoom(spec.room, payload);
      return { sentNs: payload.t } satisfies FanOutResult;
    },
    // Loaded on first use, so that servers of other scenarios never hold jose.
    'POST /jose/verify': async (spec: JoseVerifySpec) =>
      (await import('./jose-verify.js')).measureJoseVerify(spec),
  };
  const server = createServer((req, res) => void handle(routes, req, res));
  // No server-side keep-alive timeout: a server whose loop was blocked for longer (a flood of
  // inbound frames, read in one go) would otherwise close the harness's idle connection just as
  // its next request arrives on it, failing that request; the harness's client closes idle ones.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function handle(
  routes: Record<string, Route>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const route = routes[`${req.method} ${req.url}`];
  try {
    if (!route) {
      reply(res, 404, { error: `no route ${req.method} ${req.url}` });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    reply(res, 200, await route(text ? JSON.parse(text) : {}));
  } catch (err) {
    reply(res, 500, { error: (err as Error)?.stack ?? String(err) });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
