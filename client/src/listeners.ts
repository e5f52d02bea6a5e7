/** A listener of event `K` of the event map `E`. */
export type Listener<E, K extends keyof E> = (value: E[K]) => void;

/**
 * Typed listener lists. Like `EventTarget`, one listener that throws neither stops the others nor
 * the caller's state change: its error is re-thrown in a microtask, so it still shows up as an
 * uncaught error (console, `window.onerror`, `process.on('uncaughtException')`).
 */
export class Listeners<E> {
  private readonly byEvent = new Map<keyof E, Set<Listener<E, any>>>();

  add<K extends keyof E>(event: K, listener: Listener<E, K>): void {
    let set = this.byEvent.get(event);
    if (!set) this.byEvent.set(event, (set = new Set()));
    set.add(listener);
  }

  delete<K extends keyof E>(event: K, listener: Listener<E, K>): void {
    this.byEvent.get(event)?.delete(listener);
  }

  /** Calls the listeners of `event` in the order they were added. */
  dispatch<K extends keyof E>(event: K, value: E[K]): void {
    const set = this.byEvent.get(event);
    if (!set) return;
    // A copy: a listener may add or remove listeners while this loop runs.
    for (const listener of [...set]) {
      try {
        listener(value);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
