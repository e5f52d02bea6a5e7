import { HttpException } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { RequestErrorCode } from '../../protocol/error-codes.js';

/** @internal What a failed request answers: a code and a message fit for the client. */
export interface RequestError {
  code: string;
  message: string;
  /** Whether what was thrown is a bug, kept from the client (and logged). */
  internal?: true;
}

/** Codes for the HTTP statuses an `HttpException` thrown by a handler may carry. */
const STATUS_CODES: Record<number, string> = {
  400: RequestErrorCode.Invalid,
  401: 'unauthorized',
  403: RequestErrorCode.Forbidden,
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  422: RequestErrorCode.Invalid,
  429: 'rate_limited',
};

/**
 * @internal The answer to a request whose handler threw:
 * - a `WsException({ code, message })` answers with its own code and message
 *   (`WsException('text')`: code `error`);
 * - an `HttpException` (a `ValidationPipe`'s 400, a guard's 403, a `NotFoundException`…) answers
 *   with the code of its status and its message; a validation's messages, which name the
 *   offending fields, are joined;
 * - anything else is a bug: `internal`, with a fixed message, so that what was thrown (a message
 *   that may hold secrets, a stack) never reaches the client.
 */
export function requestError(err: unknown): RequestError {
  if (err instanceof WsException) {
    const error = err.getError();
    if (typeof error === 'string') return { code: 'error', message: error };
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    return {
      code: typeof code === 'string' && code !== '' ? code : 'error',
      message: typeof message === 'string' ? message : err.message,
    };
  }
  if (err instanceof HttpException) {
    const response = err.getResponse();
    const detail =
      typeof response === 'object' ? (response as { message?: unknown }).message : response;
    const message = Array.isArray(detail)
      ? detail.join('; ')
      : typeof detail === 'string'
        ? detail
        : err.message;
    return { code: STATUS_CODES[err.getStatus()] ?? 'rejected', message };
  }
  return { code: RequestErrorCode.Internal, message: 'the handler failed', internal: true };
}
