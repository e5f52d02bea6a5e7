import { WebSocket } from 'ws';
import {
  ChatClient,
  type ChatClientEvents,
  type ChatClientOptions,
} from '../../client/src/index.js';
import { waitFor } from './wait.js';

type EventName = keyof ChatClientEvents;

/** One event of a client, with when it happened. */
export interface Recorded<K extends EventName = EventName> {
  type: K;
  value: ChatClientEvents[K];
  at: number;
}

/** A `ChatClient` over `ws` whose every event is recorded, so tests can wait for them. */
export interface RecordedClient {
  client: ChatClient;
  events: Recorded[];
  /** The recorded events of one type (that satisfy `where`), oldest first. */
  of<K extends EventName>(type: K, where?: Filter<K>): Recorded<K>[];
  /** Waits for the `count`th event of `type` (that satisfies `where`) and returns it. */
  nth<K extends EventName>(
    type: K,
    count: number,
    options?: { where?: Filter<K>; timeoutMs?: number },
  ): Promise<Recorded<K>>;
}

type Filter<K extends EventName> = (value: ChatClientEvents[K]) => boolean;

const EVENTS: EventName[] = [
  'open',
  'welcome',
  'message',
  'push',
  'room',
  'close',
  'error',
  'reconnecting',
];

/** Creates a client (not yet connected) that records its events. */
export function recordedClient(options: Omit<ChatClientOptions, 'WebSocket'>): RecordedClient {
  const client = new ChatClient({ WebSocket, ...options });
  const events: Recorded[] = [];
  for (const type of EVENTS) {
    client.on(type, (value: unknown) => events.push({ type, value, at: Date.now() } as Recorded));
  }
  const of = <K extends EventName>(type: K, where: Filter<K> = () => true) =>
    events.filter(
      (event): event is Recorded<K> => event.type === type && where(event.value as any),
    );
  return {
    client,
    events,
    of,
    nth: (type, count, { where, timeoutMs = 5000 } = {}) =>
      waitFor(() => of(type, where)[count - 1], { timeoutMs, what: `${type} event #${count}` }),
  };
}
