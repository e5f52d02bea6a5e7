import type { ChildProcess } from 'node:child_process';

/**
 * Request/response over a child's IPC channel: the parent calls a named method of the child and
 * awaits its result. Used for the load workers, whose commands (connect, arm, collect) are
 * long-running and must report back.
 */

interface Request {
  rpc: 'call';
  id: number;
  method: string;
  params: unknown;
}

interface Response {
  rpc: 'result';
  id: number;
  result?: unknown;
  error?: string;
}

/** The parent's end of the channel. */
export class RpcClient {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
  ) {
    child.on('message', (message: Response) => {
      if (message?.rpc !== 'result') return;
      const call = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) call?.reject(new Error(`${name}: ${message.error}`));
      else call?.resolve(message.result);
    });
    // A child that dies fails every call still waiting for it, instead of hanging the harness.
    child.once('exit', (code, signal) => {
      for (const call of this.pending.values()) {
        call.reject(new Error(`${name} exited (${signal ?? code}) during a call`));
      }
      this.pending.clear();
    });
  }

  call<T>(method: string, params?: unknown): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const request: Request = { rpc: 'call', id, method, params };
      this.child.send(request, (err) => {
        if (!err) return;
        this.pending.delete(id);
        reject(new Error(`${this.name}: could not send ${method}: ${err.message}`));
      });
    });
  }
}

/** Handlers a child serves; each receives the call's params. */
export type RpcHandlers = Record<string, (params: any) => unknown>;

/**
 * The child's end: answers calls with the handlers' (possibly async) results, and says `ready`
 * once it listens (see {@link childReady}). The child exits when the parent goes away, so no
 * worker survives a crashed harness.
 */
export function serveRpc(handlers: RpcHandlers): void {
  process.on('message', (message: Request) => {
    if (message?.rpc !== 'call') return;
    const reply = (response: Omit<Response, 'rpc' | 'id'>): void => {
      process.send?.({ rpc: 'result', id: message.id, ...response });
    };
    const handler = handlers[message.method];
    if (!handler) {
      reply({ error: `no method ${message.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.params))
      .then(
        (result) => reply({ result }),
        (err: unknown) => reply({ error: (err as Error)?.stack ?? String(err) }),
      );
  });
  process.once('disconnect', () => process.exit(0));
  process.send?.({ rpc: 'ready' });
}

/** Resolves when a child that called {@link serveRpc} listens for calls. */
export function childReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const listener = (message: { rpc?: string }): void => {
      if (message?.rpc !== 'ready') return;
      child.off('message', listener);
      resolve();
    };
    child.on('message', listener);
  });
}
