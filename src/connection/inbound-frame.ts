import {
  ErrorCode,
  MAX_JSON_DEPTH,
  MAX_REQUEST_ID_LENGTH,
  type ChatErrorCode,
} from '../protocol/error-codes.js';
import { envelopeProblem, type Envelope } from '../protocol/frames.js';

/** A client frame as a handler's `@ChatFrame()` gets it. */
export interface ClientFrame {
  /** The frame's `event`. */
  event: string;
  /** The frame's `data` (undefined when it had none). */
  data: unknown;
  /** A request's id: the client wants an `ack`. */
  id?: string;
}

/** @internal A parsed client frame, or why it was rejected. */
export type InboundFrame =
  { ok: true; frame: ClientFrame } | { ok: false; code: ChatErrorCode; message: string };

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
  const problem = envelopeProblem(value);
  if (problem !== undefined) return reject(ErrorCode.BadEnvelope, problem);
  const { event, data, id } = value as Envelope & { id?: unknown };
  if (id === undefined) return { ok: true, frame: { event, data } };
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH) {
    return reject(
      ErrorCode.BadEnvelope,
      `"id" must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters`,
    );
  }
  return { ok: true, frame: { event, data, id } };
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
