import { EPOCH_PATTERN, RecoveryParameter } from '../../protocol/frames.js';
import type { StreamCursor } from '../held-frame.js';

/** Offsets the server accepts back: a non-negative integer of at most 15 digits. */
const OFFSET_PATTERN = /^(0|[1-9]\d{0,14})$/;

/** @internal The position a handshake asks to recover from, or why it is unusable. */
export type RecoveryRequest = { position: StreamCursor | undefined } | { problem: string };

/**
 * @internal Reads `?since=<offset>&epoch=<epoch>` from an upgrade request's URL. Both or neither:
 * one alone, a value that is not an offset or an epoch as the server makes them (a negative or
 * fractional or huge offset, an epoch of thousands of characters) is a problem, answered 400.
 * URLs without either pay only for a substring search.
 */
export function readRecoveryRequest(url: string | undefined): RecoveryRequest {
  if (
    !url ||
    (!url.includes(`${RecoveryParameter.Since}=`) && !url.includes(`${RecoveryParameter.Epoch}=`))
  ) {
    return { position: undefined };
  }
  let query: URLSearchParams;
  try {
    query = new URL(url, 'http://localhost').searchParams;
  } catch {
    return { problem: 'the URL cannot be read' };
  }
  const since = query.get(RecoveryParameter.Since);
  const epoch = query.get(RecoveryParameter.Epoch);
  if (since === null && epoch === null) return { position: undefined };
  if (since === null || epoch === null) {
    return { problem: '"since" and "epoch" go together: give both or neither' };
  }
  if (!OFFSET_PATTERN.test(since)) {
    return { problem: '"since" must be an offset: an integer >= 0 of at most 15 digits' };
  }
  if (!EPOCH_PATTERN.test(epoch)) {
    return { problem: '"epoch" must be 1 to 64 letters, digits, "_" or "-"' };
  }
  return { position: { epoch, offset: Number(since) } };
}
