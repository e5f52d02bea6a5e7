import type {
  Authenticator,
  BackpressurePolicy,
  ChatModuleOptions,
} from './interfaces/chat-options.interface.js';

/** @internal The options with every default applied, as the providers use them. */
export interface ResolvedChatOptions {
  authenticate: Authenticator;
  path: string;
  /** `connectionsPerUser` as a number: 'single' is 1. */
  maxConnectionsPerUser: number;
  heartbeat: { intervalMs: number; timeoutMs: number };
  backpressure: { highWaterMarkBytes: number; policy: BackpressurePolicy };
  maxPayloadBytes: number;
  shutdownGraceMs: number;
}

/** @internal The single place where defaults live. */
export const DEFAULT_CHAT_OPTIONS: Readonly<
  Required<Omit<ChatModuleOptions, 'authenticate' | 'heartbeat' | 'backpressure'>> &
    Pick<ResolvedChatOptions, 'heartbeat' | 'backpressure'>
> = {
  path: '/ws',
  connectionsPerUser: 'single',
  heartbeat: { intervalMs: 25_000, timeoutMs: 60_000 },
  backpressure: { highWaterMarkBytes: 1024 * 1024, policy: 'drop' },
  maxPayloadBytes: 64 * 1024,
  shutdownGraceMs: 5_000,
};

/**
 * @internal Merges the defaults into `options` and rejects anything that cannot work, with a
 * message that names the option and what to change, so a misconfiguration stops the app at
 * startup instead of misbehaving under load.
 */
export function resolveChatOptions(options: ChatModuleOptions): ResolvedChatOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', 'must be an object', options);
  }
  if (typeof options.authenticate !== 'function') {
    throw invalid(
      'authenticate',
      'must be a function; use jwtAuthenticator({ secret }) or, for local development only, queryUserAuthenticator()',
      options.authenticate,
    );
  }
  const resolved: ResolvedChatOptions = {
    authenticate: options.authenticate,
    path: options.path ?? DEFAULT_CHAT_OPTIONS.path,
    maxConnectionsPerUser: connectionsLimit(
      options.connectionsPerUser ?? DEFAULT_CHAT_OPTIONS.connectionsPerUser,
    ),
    heartbeat: withDefaults(DEFAULT_CHAT_OPTIONS.heartbeat, options.heartbeat),
    backpressure: withDefaults(DEFAULT_CHAT_OPTIONS.backpressure, options.backpressure),
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_CHAT_OPTIONS.maxPayloadBytes,
    shutdownGraceMs: options.shutdownGraceMs ?? DEFAULT_CHAT_OPTIONS.shutdownGraceMs,
  };

  if (
    !/^\/[^?#\s]*$/.test(resolved.path) ||
    (resolved.path.length > 1 && resolved.path.endsWith('/'))
  ) {
    throw invalid(
      'path',
      "must start with '/', not end with '/', and hold no '?', '#' or spaces",
      resolved.path,
    );
  }
  positiveInteger('heartbeat.intervalMs', resolved.heartbeat.intervalMs);
  positiveInteger('heartbeat.timeoutMs', resolved.heartbeat.timeoutMs);
  if (resolved.heartbeat.timeoutMs <= resolved.heartbeat.intervalMs) {
    throw invalid(
      'heartbeat.timeoutMs',
      `must be larger than heartbeat.intervalMs (${resolved.heartbeat.intervalMs}), or every connection would time out between two pings`,
      resolved.heartbeat.timeoutMs,
    );
  }
  positiveInteger('backpressure.highWaterMarkBytes', resolved.backpressure.highWaterMarkBytes);
  if (resolved.backpressure.policy !== 'drop' && resolved.backpressure.policy !== 'disconnect') {
    throw invalid(
      'backpressure.policy',
      "must be 'drop' or 'disconnect'",
      resolved.backpressure.policy,
    );
  }
  positiveInteger('maxPayloadBytes', resolved.maxPayloadBytes);
  nonNegativeInteger('shutdownGraceMs', resolved.shutdownGraceMs);
  return resolved;
}

/** `given` over `defaults`, where a field left `undefined` keeps its default. */
function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

function connectionsLimit(value: 'single' | number): number {
  if (value === 'single') return 1;
  if (!Number.isInteger(value) || value < 1) {
    throw invalid('connectionsPerUser', "must be 'single' or an integer >= 1", value);
  }
  return value;
}

function positiveInteger(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw invalid(name, 'must be an integer >= 1', value);
  }
}

function nonNegativeInteger(name: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw invalid(name, 'must be an integer >= 0', value);
  }
}

function invalid(name: string, rule: string, value: unknown): TypeError {
  return new TypeError(`ChatModule: option "${name}" ${rule} (got ${describe(value)})`);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return `'${value}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
