/** A traffic shape of the storm: how many messages each user gets per event-loop turn. */
export interface StormShape {
  id: string;
  label: string;
  perUserPerTurn: number;
}

/** Every count and duration of a benchmark run; `--quick` swaps in the small one. */
export interface Plan {
  /** Interleaved runs (each runs every system once per scenario). */
  runs: number;
  /** Load-generator processes. */
  workers: number;
  /** Handshakes each worker keeps in flight while connecting. */
  connectConcurrency: number;
  /**
   * A measurement ends this long after the last message, or after the server issued its last
   * send if that is later, when some messages never arrive.
   */
  stallMs: number;
  /** Longest wait for a quiet machine before each session (0: never wait). */
  quietWaitMs: number;
  storm: {
    users: number;
    messages: number;
    bytes: number;
    /** Unmeasured storm first, so that every system runs JIT-compiled code when measured. */
    warmupMessages: number;
    shapes: readonly StormShape[];
  };
  /** Repetitions of each fan-out (broadcast and sendMany) per session. */
  fanOutRepetitions: number;
  /** Idle connections for memory, connect rate and the large fan-out. */
  idleConnections: number;
  heartbeat: {
    intervalMs: number;
    timeoutMs: number;
    /** Connection counts observed, in increasing order. */
    levels: readonly number[];
    /** Observation window per level: several sweeps. */
    windowMs: number;
    /** Pause after connecting, so the window sees sweeps and not the handshake burst. */
    settleMs: number;
  };
  cluster: { users: number; messages: number; warmupMessages: number; perUserPerTurn: number };
  /**
   * Room fan-out: rooms of each size (every member one connection; the largest sets how many
   * connect), one message at a time, unmeasured ones first.
   */
  rooms: { sizes: readonly number[]; messages: number; warmupMessages: number };
  /** Clients flooding one server with frames, each kind of frame in turn. */
  inbound: {
    clients: number;
    framesPerClient: number;
    /** Frames each client sends per event-loop turn of its worker, in one write. */
    perTurn: number;
    /** An unmeasured flood of each kind first, so that every handler runs JIT-compiled code. */
    warmupFramesPerClient: number;
  };
  /**
   * Several nodes full of idle connections on one Redis, each filled by its own load process
   * from its own loopback source address (127.0.0.2, .3, …).
   */
  scale: {
    nodes: number;
    connectionsPerNode: number;
    /** Heartbeat interval of the nodes, and how long the sweeps are watched (several sweeps). */
    heartbeatIntervalMs: number;
    /**
     * Silence after which a node drops a connection: long, so that a load process slowed down by
     * a busy machine does not lose connections for answering its pings late.
     */
    heartbeatTimeoutMs: number;
    sweepWindowMs: number;
    /** Targeted sends: each node sends this many messages to users on each other node. */
    messagesPerPair: number;
    /** ... over this many users of that node. */
    usersPerPair: number;
    /**
     * How long the targeted sends' measurement waits for the next arrival before it counts the
     * rest as lost. The six flows queue on one Redis, so pushes arrive seconds after the send
     * calls (p99 4–7 s): with the plan's 3 s `stallMs`, a run could end before its first
     * arrival and count all 120 000 as lost, while with 30 s every one arrived.
     */
    sendStallMs: number;
  };
  /**
   * The reconnect storm on several nodes: clients that reconnect by themselves, with their own
   * backoff, after a drop of every client and after a node is killed and restarted.
   */
  reconnectStorm: {
    nodes: number;
    /** One load process per node: keep it well below the ~20 000 open files of a process. */
    clientsPerNode: number;
    heartbeatIntervalMs: number;
    heartbeatTimeoutMs: number;
    /** Our nodes' `limits.maxConnections`: what a node answers 503 beyond. */
    maxConnectionsPerNode: number;
    /** Longest wait for every client to be back after a drop or a kill. */
    timeoutMs: number;
    /** Shortest probe window during the kill's storm, and the window just before it. */
    probeWindowMs: number;
  };
  /** The reconnect storm: every client drops at once, misses pushes, and comes back at once. */
  recovery: {
    clients: number;
    /** Pushes each user gets while its client is away: each must come back on reconnect. */
    missedPerClient: number;
    /**
     * Missed pushes per client in an unmeasured drop and reconnect first (0: none), so that the
     * measured one runs JIT-compiled recovery code, as a server that has been up for a while.
     */
    warmupMissedPerClient: number;
  };
}

const BURSTS: StormShape = {
  id: 'bursts',
  label: 'bursts, ~20 per user per turn',
  perUserPerTurn: 20,
};
const TRICKLE: StormShape = {
  id: 'trickle',
  label: 'trickle, 1 per user per turn',
  perUserPerTurn: 1,
};

export const FULL_PLAN: Plan = {
  runs: 3,
  workers: 2,
  connectConcurrency: 50,
  stallMs: 3000,
  quietWaitMs: 5_000,
  storm: {
    users: 1000,
    messages: 200_000,
    bytes: 100,
    warmupMessages: 10_000,
    shapes: [BURSTS, TRICKLE],
  },
  fanOutRepetitions: 2,
  idleConnections: 10_000,
  heartbeat: {
    intervalMs: 1000,
    timeoutMs: 5000,
    levels: [10_000, 19_000],
    windowMs: 2200,
    settleMs: 500,
  },
  cluster: { users: 1000, messages: 60_000, warmupMessages: 6_000, perUserPerTurn: 20 },
  recovery: { clients: 2000, missedPerClient: 50, warmupMissedPerClient: 5 },
  rooms: { sizes: [1000, 10_000], messages: 12, warmupMessages: 3 },
  inbound: { clients: 1000, framesPerClient: 100, perTurn: 50, warmupFramesPerClient: 20 },
  scale: {
    nodes: 3,
    connectionsPerNode: 15_000,
    heartbeatIntervalMs: 2000,
    heartbeatTimeoutMs: 20_000,
    sweepWindowMs: 6_500,
    messagesPerPair: 20_000,
    usersPerPair: 1000,
    sendStallMs: 30_000,
  },
  reconnectStorm: {
    nodes: 3,
    clientsPerNode: 15_000,
    // The module's defaults: ChatClient heartbeats at the welcome's interval, and 45 000 of them
    // every few seconds would load the load processes more than the storm does.
    heartbeatIntervalMs: 25_000,
    heartbeatTimeoutMs: 60_000,
    maxConnectionsPerNode: 16_000,
    timeoutMs: 120_000,
    probeWindowMs: 5000,
  },
};

/** Proves the harness works end to end in well under a minute; its numbers mean nothing. */
export const QUICK_PLAN: Plan = {
  runs: 1,
  workers: 2,
  connectConcurrency: 20,
  stallMs: 2000,
  quietWaitMs: 0,
  storm: { users: 100, messages: 4000, bytes: 100, warmupMessages: 400, shapes: [BURSTS, TRICKLE] },
  fanOutRepetitions: 1,
  idleConnections: 400,
  heartbeat: { intervalMs: 300, timeoutMs: 1500, levels: [400], windowMs: 700, settleMs: 200 },
  cluster: { users: 100, messages: 4000, warmupMessages: 400, perUserPerTurn: 20 },
  recovery: { clients: 200, missedPerClient: 50, warmupMissedPerClient: 0 },
  rooms: { sizes: [100, 400], messages: 3, warmupMessages: 1 },
  inbound: { clients: 100, framesPerClient: 50, perTurn: 50, warmupFramesPerClient: 10 },
  scale: {
    nodes: 3,
    connectionsPerNode: 300,
    heartbeatIntervalMs: 500,
    heartbeatTimeoutMs: 20_000,
    sweepWindowMs: 1600,
    messagesPerPair: 1000,
    usersPerPair: 100,
    sendStallMs: 3000,
  },
  reconnectStorm: {
    nodes: 3,
    clientsPerNode: 200,
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 20_000,
    maxConnectionsPerNode: 400,
    timeoutMs: 30_000,
    probeWindowMs: 1500,
  },
};
