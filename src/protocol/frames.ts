import type { ChatErrorCode } from './error-codes.js';
import { ServerEvent } from './events.js';

/** A frame of the wire protocol: JSON text `{ "event": string, "data"?: any }`. */
export interface Envelope {
  event: string;
  data?: unknown;
}

/** The data of the `welcome` frame, the first frame of every connection. */
export interface WelcomeData {
  user: string;
  connectionId: string;
  /** How often the client should send a heartbeat on this connection. */
  heartbeatIntervalMs: number;
  /** The epoch of the user's stream, with history on. */
  epoch?: string;
  /**
   * The last offset of the user's stream (0 if none), with history on. Pushes after it follow
   * the welcome: first those the client missed (when it recovered), then live ones.
   */
  offset?: number;
  /**
   * Only when the client asked to recover (`?since=&epoch=`): whether every push after its
   * position follows. `false` means nothing is replayed, and the client should refetch state.
   */
  recovered?: boolean;
  /** With history, where the stream of each room of the user stands, by room. */
  rooms?: Record<string, RoomPosition>;
}

/** Where a room's stream stands, in a welcome. */
export interface RoomPosition {
  epoch: string;
  offset: number;
  /** Only when the client gave a position for the room: whether all it missed follows. */
  recovered?: boolean;
}

/** The data of a `room` frame: the user joined or left a room while connected. */
export interface RoomMembershipData {
  room: string;
  member: boolean;
  /** On a join, with history: where the room's stream stood when the user joined. */
  epoch?: string;
  offset?: number;
}

/** A position in a stream, as a client gives it back to recover (`?since=<offset>&epoch=<epoch>`). */
export const RecoveryParameter = {
  Since: 'since',
  Epoch: 'epoch',
  /**
   * The room positions to recover: base64url of the JSON `{"<room>":["<epoch>",<offset>],…}`.
   * See {@link encodeRoomPositions}.
   */
  Rooms: 'rooms',
} as const;

/** Longest `rooms` recovery parameter the server reads, in characters. */
export const MAX_ROOM_POSITIONS_LENGTH = 8192;

/** The `rooms` recovery parameter for these positions (base64url of their JSON). */
export function encodeRoomPositions(
  positions: Record<string, { epoch: string; offset: number }>,
): string {
  const json = JSON.stringify(
    Object.fromEntries(Object.entries(positions).map(([room, p]) => [room, [p.epoch, p.offset]])),
  );
  const bytes = new TextEncoder().encode(json);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An epoch as the server makes them, and the longest it accepts back: 1–64 URL-safe characters. */
export const EPOCH_PATTERN = /^[\w-]{1,64}$/;

/** The data of an `error` frame. */
export interface ErrorData {
  code: ChatErrorCode;
  message: string;
}

/** Why a parsed JSON value is not an envelope, or undefined when it is one. */
export function envelopeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'frame must be a JSON object {"event": string, "data"?: any}';
  }
  const { event } = value as { event?: unknown };
  if (typeof event !== 'string' || event.length === 0) return '"event" must be a non-empty string';
  return undefined;
}

/** A frame from the server: an envelope, with the fields a push or an answer may carry. */
export interface ServerFrame extends Envelope {
  /** A push that asks to be acknowledged, or the request an `ack` answers. */
  id?: string;
  /** A failed `ack`'s error. */
  error?: { code: string; message: string };
  /** A room push's room. */
  room?: string;
  /** A stored push's offset in its stream. */
  offset?: number;
  /** A stored room push's stream epoch. */
  epoch?: string;
}

/**
 * Reads a text frame from the server; undefined when it is not a JSON envelope. Fields a push
 * may carry are kept only when they have the right type.
 */
export function parseEnvelope(text: string): ServerFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (envelopeProblem(value) !== undefined) return undefined;
  const { event, data, room, offset, epoch, id, error } = value as Record<string, unknown>;
  const frame: ServerFrame = { event: event as string, data };
  if (typeof id === 'string') frame.id = id;
  if (error !== null && typeof error === 'object') {
    const { code, message } = error as Record<string, unknown>;
    frame.error = {
      code: typeof code === 'string' ? code : 'unknown',
      message: typeof message === 'string' ? message : 'the server reported an error',
    };
  }
  if (typeof room === 'string') frame.room = room;
  if (Number.isSafeInteger(offset) && (offset as number) > 0) frame.offset = offset as number;
  if (typeof epoch === 'string' && EPOCH_PATTERN.test(epoch)) frame.epoch = epoch;
  return frame;
}

const WELCOME_HEAD = `{"event":"${ServerEvent.Welcome}","data":{"user":`;

/** The text of a `welcome` frame. */
export function welcomeText(welcome: WelcomeData): string {
  // Written out field by field, since every handshake sends one: JSON.stringify of the object
  // took about 1.6 times as long in a micro-benchmark. The key order is the interface's, and a
  // field added to WelcomeData must be written here too (frames.spec compares the two).
  const { user, connectionId, heartbeatIntervalMs, epoch, offset, recovered, rooms } = welcome;
  let text = `${WELCOME_HEAD}${JSON.stringify(user)},"connectionId":${JSON.stringify(connectionId)},"heartbeatIntervalMs":${heartbeatIntervalMs}`;
  if (epoch !== undefined) text += `,"epoch":${JSON.stringify(epoch)}`;
  if (offset !== undefined) text += `,"offset":${offset}`;
  if (recovered !== undefined) text += `,"recovered":${recovered}`;
  if (rooms !== undefined) text += `,"rooms":${JSON.stringify(rooms)}`;
  return `${text}}}`;
}

/** The text of the answer to a client heartbeat; `ts` lets the client estimate clock offset. */
export function heartbeatText(now: number): string {
  return `{"event":"${ServerEvent.Heartbeat}","data":{"ts":${now}}}`;
}

/** The text of an `error` frame. */
export function errorText(error: ErrorData): string {
  return JSON.stringify({ event: ServerEvent.Error, data: error });
}

/**
 * The text of a push around `json`, the payload already serialized, so that one send to many
 * connections shares the same bytes.
 */
export function messageText(json: string): string {
  return `${pushHead(json)}}`;
}

const MESSAGE_HEAD = `{"event":"${ServerEvent.Message}"`;
/** The common head up to the payload as one constant: a push then costs one string join. */
const MESSAGE_DATA_HEAD = `${MESSAGE_HEAD},"data":`;

/**
 * A push up to its payload: `{"event":"message","data":<json>`, or with another event name, or
 * for a room `{"event":"message","room":"<room>","data":<json>`. A push that is not stored ends
 * with `}`; a stored one goes on with its offset (see {@link storedPushText}). The history keeps
 * the head, so that a replay rebuilds exactly the frame the live push was.
 */
export function pushHead(json: string, event?: string, room?: string): string {
  if (event === undefined && room === undefined) return MESSAGE_DATA_HEAD + json;
  const head = event === undefined ? MESSAGE_HEAD : `{"event":${JSON.stringify(event)}`;
  return room === undefined
    ? `${head},"data":${json}`
    : `${head},"room":${JSON.stringify(room)},"data":${json}`;
}

/**
 * A stored push from its head: `…,"offset":<n>}` in the user's stream; in a room's stream also
 * with the stream's epoch, `…,"offset":<n>,"epoch":"<epoch>"}`, since a client may get a room's
 * first push before it knows where the room's stream stands.
 */
export function storedPushText(head: string, offset: number, roomEpoch?: string): string {
  return head + storedPushSuffix(offset, roomEpoch);
}

/** What follows the head in a stored push (see {@link storedPushText}); always ASCII. */
export function storedPushSuffix(offset: number, roomEpoch?: string): string {
  return roomEpoch === undefined
    ? `,"offset":${offset}}`
    : `,"offset":${offset},"epoch":"${roomEpoch}"}`;
}

/**
 * A push that asks to be acknowledged: `"id"` goes in after the head, before a stored push's
 * offset, so the history (which keeps the head) never replays it.
 */
export function withAckId(head: string, id: string): string {
  return `${head},"id":${JSON.stringify(id)}`;
}

/** The answer to a request (a client frame with an `id`): its handler's return value. */
export function ackText(id: string, json: string | undefined): string {
  const data = json === undefined ? '' : `,"data":${json}`;
  return `{"event":"${ServerEvent.Ack}","id":${JSON.stringify(id)}${data}}`;
}

/** The answer to a request that failed. */
export function ackErrorText(id: string, code: string, message: string): string {
  return JSON.stringify({ event: ServerEvent.Ack, id, error: { code, message } });
}
