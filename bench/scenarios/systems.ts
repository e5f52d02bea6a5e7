import type { Protocol } from '../load/clients.js';
import type { TableSpec } from '../report/results.js';
import type { ServerConfig } from '../servers/server-config.js';
import { userId } from '../users.js';

/**
 * The systems compared: most tables have one column for each of the first three; Nest's own
 * gateway (`nest`) only handles client frames, for the inbound table; raw ws with a welcome
 * (`raw-welcome`) only opens connections, for the handshake rows.
 */
export type SystemId = 'ours' | 'raw' | 'sio' | 'nest' | 'raw-welcome';

export interface SystemSpec {
  /** `'base'`: our module as another checkout built it (`--baseline`, see baseline.ts). */
  id: SystemId | 'base';
  label: string;
  /** For ratio headers and the chart. */
  short: string;
  /** Server entry, relative to the compiled bench directory, or absolute (the baseline's). */
  script: string;
  protocol: Protocol;
  /** WebSocket URL for a user on a server's port; `token` replaces `?user=` with a JWT. */
  url(port: number, userIndex: number, token?: string): string;
  /** What the system's server is always started with, on top of the scenario's config. */
  config?: Partial<ServerConfig>;
}

export const SYSTEMS: readonly SystemSpec[] = [
  {
    id: 'ours',
    label: 'nest-chat-gateway',
    short: 'ours',
    script: 'servers/ours.js',
    protocol: 'ours',
    url: (port, i, token) =>
      `ws://127.0.0.1:${port}/ws?${token ? `token=${token}` : `user=${userId(i)}`}`,
  },
  {
    id: 'raw',
    label: 'raw ws',
    short: 'raw ws',
    script: 'servers/raw-ws.js',
    protocol: 'raw',
    url: (port, i) => `ws://127.0.0.1:${port}/?user=${userId(i)}`,
  },
  {
    id: 'sio',
    label: 'socket.io',
    short: 'socket.io',
    script: 'servers/socket-io.js',
    protocol: 'socket.io',
    url: (port, i) => `http://127.0.0.1:${port}/?user=${userId(i)}`,
  },
  {
    id: 'nest',
    label: 'Nest @SubscribeMessage gateway',
    short: 'Nest gateway',
    script: 'servers/nest-ws.js',
    // Plain `ws` frames both ways; a client is registered once it is open.
    protocol: 'raw',
    url: (port, i) => `ws://127.0.0.1:${port}/ws?user=${userId(i)}`,
  },
  {
    id: 'raw-welcome',
    label: 'raw ws + welcome frame',
    short: 'raw ws + welcome',
    script: 'servers/raw-ws.js',
    protocol: 'raw-welcome',
    url: (port, i) => `ws://127.0.0.1:${port}/?user=${userId(i)}`,
    config: { welcome: true },
  },
];

export function system(id: SystemId): SystemSpec {
  return SYSTEMS.find((s) => s.id === id)!;
}

/** Whether the system is our module: this checkout's build, or the baseline's. */
export function isOurModule(spec: SystemSpec): boolean {
  return spec.id === 'ours' || spec.id === 'base';
}

/** A system as a table's column. */
export function columnOf({ id, label, short }: SystemSpec): TableSpec['columns'][number] {
  return { id, label, short };
}

/** The columns of a table comparing the three systems that push. */
export const SYSTEM_COLUMNS = SYSTEMS.filter(({ id }) => id !== 'nest' && id !== 'raw-welcome').map(
  columnOf,
);

/** Our module against each baseline. */
export const SYSTEM_RATIOS: readonly [string, string][] = [
  ['ours', 'raw'],
  ['ours', 'sio'],
];
