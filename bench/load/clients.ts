import { io } from 'socket.io-client';
import { WebSocket } from 'ws';

/** How a client speaks to its server: our module's envelope, bare `ws` frames, or socket.io. */
export type Protocol = 'ours' | 'raw' | 'socket.io';

/** Called with the timestamp of each stamped message a client receives. */
export type OnStamp = (sentNs: number) => void;

const OPEN_TIMEOUT_MS = 15_000;

/**
 * Opens one client and resolves once the server has registered it, so that a push sent after
 * that reaches it: our module greets a registered connection with a `welcome` frame; the raw
 * server registers it before the upgrade completes; socket.io has joined the room when the
 * client sees `connect`. An open client lives until its worker process exits.
 */
export function openClient(protocol: Protocol, url: string, onStamp: OnStamp): Promise<void> {
  return protocol === 'socket.io' ? openSocketIo(url, onStamp) : openWs(protocol, url, onStamp);
}

function openWs(protocol: 'ours' | 'raw', url: string, onStamp: OnStamp): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const fail = (err: Error): void => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('open timed out')), OPEN_TIMEOUT_MS);
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
    const ready = (): void => {
      clearTimeout(timer);
      ws.off('error', fail);
      ws.on('error', () => undefined); // a reset during teardown is expected
      resolve();
    };
    if (protocol === 'raw') {
      ws.once('open', ready);
      ws.on('message', (data) => onStamp(JSON.parse(String(data)).t));
      return;
    }
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.event === 'message') onStamp(frame.data.t);
      else if (frame.event === 'welcome') ready();
    });
  });
}

function openSocketIo(url: string, onStamp: OnStamp): Promise<void> {
  const { origin, searchParams } = new URL(url);
  const socket = io(origin, {
    query: Object.fromEntries(searchParams),
    // WebSocket from the first packet, like the other clients (no HTTP long-polling upgrade).
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: OPEN_TIMEOUT_MS,
  });
  socket.on('message', (payload: { t: number }) => onStamp(payload.t));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => {
      socket.disconnect();
      reject(err);
    });
  });
}
