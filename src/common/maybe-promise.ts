/**
 * @internal A value now or later. A store in this process answers at once and a remote one later;
 * keeping the first synchronous lets a single process deliver a push within the call that sent
 * it, with no promise in between.
 */
export type MaybePromise<T> = T | Promise<T>;

/** @internal Applies `next` to `value`: at once when it is there, or once it is. */
export function andThen<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>) {
  return value instanceof Promise ? value.then(next) : next(value);
}
