/**
 * The client side of the heartbeat. Browsers cannot see WebSocket pings, so the client sends
 * `{"event":"heartbeat"}` every interval and expects a frame back: if nothing at all arrives
 * within `timeoutMs` of a heartbeat, the connection is dead even though the socket still looks
 * open (a laptop that slept, a NAT that forgot the flow, a server that hangs).
 *
 * Any frame counts as a reply, not only the heartbeat answer: under a burst of messages the
 * answer queues behind them, and each of them proves the connection alive just as well.
 */
export class Heartbeat {
  private interval: ReturnType<typeof setInterval> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param send sends one heartbeat frame
   * @param onTimeout called once when a heartbeat went unanswered; the heartbeat is stopped then
   */
  constructor(
    private readonly send: () => void,
    private readonly onTimeout: () => void,
  ) {}

  start(intervalMs: number, timeoutMs: number): void {
    this.stop();
    this.interval = setInterval(() => {
      this.send();
      // The deadline runs from the oldest unanswered heartbeat, not the newest.
      this.deadline ??= setTimeout(() => {
        this.stop();
        this.onTimeout();
      }, timeoutMs);
    }, intervalMs);
  }

  /** Records that a frame arrived. */
  received(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  stop(): void {
    clearInterval(this.interval);
    this.interval = undefined;
    this.received();
  }
}
