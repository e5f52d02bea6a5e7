import { ErrorCode, ServerEvent, type ChatErrorCode } from '../chat.constants.js';

/** @internal A parsed client frame, or why it was rejected. */
export type InboundFrame =
  { ok: true; event: string; data: unknown } | { ok: false; code: ChatErrorCode; message: string };

/**
 * @internal Serializes a push once, so that one send to many connections shares the same bytes.
 * @throws TypeError when the payload has no JSON form (undefined, a function, a cycle, a BigInt).
 */
export function messageFrame(payload: unknown): Buffer {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (err) {
    throw new TypeError(`payload is not JSON-serializable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (json === undefined) {
    throw new TypeError(`payload is not JSON-serializable (got ${typeof payload})`);
  }
  return Buffer.from(`{"event":"${ServerEvent.Message}","data":${json}}`);
}

/** @internal */
export function welcomeFrame(
  user: string,
  connectionId: string,
  heartbeatIntervalMs: number,
): Buffer {
  return frame(ServerEvent.Welcome, { user, connectionId, heartbeatIntervalMs });
}

/** @internal The answer to a client heartbeat; `ts` lets the client estimate clock offset. */
export function heartbeatFrame(now: number): Buffer {
  return Buffer.from(`{"event":"${ServerEvent.Heartbeat}","data":{"ts":${now}}}`);
}

/** @internal */
export function errorFrame(code: ChatErrorCode, message: string): Buffer {
  return frame(ServerEvent.Error, { code, message });
}

/**
 * Deepest JSON nesting accepted from clients. Deeper data is refused before parsing, so that no
 * handler downstream (a recursive walk, a re-serialization) can be pushed into a stack overflow.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * @internal Reads a client frame: JSON text `{ "event": string, "data"?: any }`. Never throws;
 * anything else comes back as an error code for the error frame.
 */
export function parseInbound(raw: Buffer, isBinary: boolean): InboundFrame {
  if (isBinary) {
    return reject(ErrorCode.UnsupportedFrame, 'binary frames are not supported; send JSON text');
  }
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) {
    return reject(ErrorCode.TooDeep, `JSON must not nest deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch {
    return reject(ErrorCode.BadJson, 'frame is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject(
      ErrorCode.BadEnvelope,
      'frame must be a JSON object {"event": string, "data"?: any}',
    );
  }
  const { event, data } = value as { event?: unknown; data?: unknown };
  if (typeof event !== 'string' || event.length === 0) {
    return reject(ErrorCode.BadEnvelope, '"event" must be a non-empty string');
  }
  return { ok: true, event, data };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);

/** Whether brackets outside strings nest deeper than `max`, scanning the bytes once. */
function nestsDeeperThan(raw: Buffer, max: number): boolean {
  // Fewer bytes than that cannot hold max + 1 opening brackets.
  if (raw.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (OPENERS.has(byte)) {
      if (++depth > max) return true;
    } else if (CLOSERS.has(byte)) {
      depth--;
    }
  }
  return false;
}

function reject(code: ChatErrorCode, message: string): InboundFrame {
  return { ok: false, code, message };
}

function frame(event: string, data: unknown): Buffer {
  return Buffer.from(JSON.stringify({ event, data }));
}
