import type {
  FanOutResult,
  FanOutSpec,
  JoinRoomSpec,
  RoomSendSpec,
} from '../servers/control-server.js';
import type { JoseVerifyResult, JoseVerifySpec } from '../servers/jose-verify.js';
import type { ProcessStats } from '../servers/process-stats.js';
import type { StormResult, StormSpec } from '../servers/push-storm.js';

/** The harness's side of a server's HTTP control contract (see control-server.ts). */
export class ControlClient {
  constructor(private readonly port: number) {}

  stats(): Promise<ProcessStats> {
    return this.request('GET', '/stats');
  }

  /** Stats right after a full garbage collection. */
  collectGarbage(): Promise<ProcessStats> {
    return this.request('POST', '/gc');
  }

  resetEventLoopDelay(): Promise<void> {
    return this.request('POST', '/event-loop-delay/reset');
  }

  pushStorm(spec: StormSpec): Promise<StormResult> {
    return this.request('POST', '/push-storm', spec);
  }

  broadcast(spec: FanOutSpec): Promise<FanOutResult> {
    return this.request('POST', '/broadcast', spec);
  }

  sendMany(spec: FanOutSpec): Promise<FanOutResult> {
    return this.request('POST', '/send-many', spec);
  }

  joinRoom(spec: JoinRoomSpec): Promise<void> {
    return this.request('POST', '/rooms/join', spec);
  }

  sendToRoom(spec: RoomSendSpec): Promise<FanOutResult> {
    return this.request('POST', '/rooms/send', spec);
  }

  /** jose's own cost per token, measured in the server's process (see jose-verify.ts). */
  verifyWithJose(spec: JoseVerifySpec): Promise<JoseVerifyResult> {
    return this.request('POST', '/jose/verify', spec);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`${method} ${path}: ${answer.error ?? res.status}`);
    return answer;
  }
}
