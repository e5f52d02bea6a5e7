import { WebSocket, type RawData } from 'ws';

/** @internal What the gateway does with the events of a socket; `this` is the socket. */
export interface SocketHandlers {
  message(this: WebSocket, data: RawData, isBinary: boolean): void;
  ping(this: WebSocket, data: Buffer): void;
  pong(this: WebSocket): void;
  error(this: WebSocket, err: Error): void;
  close(this: WebSocket, code: number): void;
}

/**
 * @internal The class of the chat endpoint's sockets (`ws`'s `WebSocket` option): its five
 * events go straight to `handlers`, with no listener per socket. A socket's listeners live in a
 * dictionary, and with a listener for each of the five it took 96 bytes more per connection than
 * raw `ws` servers' three (measured); nor does a socket error then ever find no listener, which
 * would throw. Listeners that others add, such as a shutdown waiting for the close, run as well.
 */
export function chatSocketClass(handlers: SocketHandlers): typeof WebSocket {
  return class ChatSocket extends WebSocket {
    // `ws` emits its events with at most two arguments: named, they need no array per event.
    override emit(event: string | symbol, a?: any, b?: any): boolean {
      switch (event) {
        case 'message':
          handlers.message.call(this, a, b);
          break;
        case 'ping':
          handlers.ping.call(this, a);
          break;
        case 'pong':
          handlers.pong.call(this);
          break;
        case 'error':
          handlers.error.call(this, a);
          break;
        case 'close':
          handlers.close.call(this, a);
          break;
        default:
          return super.emit(event, a, b);
      }
      return this.listenerCount(event) > 0 ? super.emit(event, a, b) : true;
    }
  };
}
