/**
 * Waits until `done()` holds, or until `progress()` stopped moving for `stallMs`: a measurement
 * whose messages stopped coming is reported short rather than waited for forever. `notify`
 * receives a wake-up to call when `done()` may have become true, so that completion is seen at
 * once instead of at the next stall check; it is handed `undefined` once the wait is over.
 */
export async function untilDoneOrStalled(
  done: () => boolean,
  progress: () => number,
  stallMs: number,
  notify: (wake: (() => void) | undefined) => void,
): Promise<void> {
  let last = -1;
  while (!done() && progress() !== last) {
    last = progress();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, stallMs);
      notify(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  notify(undefined);
}
