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
}

/** A position in a stream, as a client gives it back to recover (`?since=<offset>&epoch=<epoch>`). */
export const RecoveryParameter = {
  Since: 'since',
  Epoch: 'epoch',
} as const;

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

/** A frame from the server: an envelope, with the fields a push may carry. */
export interface ServerFrame extends Envelope {
  /** A stored push's offset in its stream. */
  offset?: number;
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
  const { event, data, offset } = value as Record<string, unknown>;
  const frame: ServerFrame = { event: event as string, data };
  if (Number.isSafeInteger(offset) && (offset as number) > 0) frame.offset = offset as number;
  return frame;
}

/** The text of a `welcome` frame. */
export function welcomeText(welcome: WelcomeData): string {
  return JSON.stringify({ event: ServerEvent.Welcome, data: welcome });
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

/**
 * A push up to its payload: `{"event":"message","data":<json>`. A stored push goes on with
 * `,"offset":<n>}` (see {@link storedPushText}); the history keeps the head, so that a replay
 * rebuilds exactly the frame the live push was.
 */
export function pushHead(json: string): string {
  return `{"event":"${ServerEvent.Message}","data":${json}`;
}

/** A stored push: `{"event":"message","data":<payload>,"offset":<n>}`, from its head. */
export function storedPushText(head: string, offset: number): string {
  return `${head},"offset":${offset}}`;
}
