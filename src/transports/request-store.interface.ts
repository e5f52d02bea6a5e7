/** What {@link RequestStore.claim} found for a request. */
export type RequestClaim =
  /** Nobody ran it within the window: the caller runs it now, and then completes it. */
  | { state: 'new' }
  /** It is running (here or on another node): wait for its outcome. */
  | { state: 'running' }
  /** It ran: this is the answer it got. */
  | { state: 'done'; answer: string };

/**
 * The outcomes of client requests, so that a request sent again (a retry after a reconnect, on
 * any node) gets the answer of the first time instead of running twice.
 *
 * Guarantees every implementation gives:
 * - `claim` is atomic cluster-wide: of concurrent claims of one request, exactly one gets `new`.
 * - A claimed or completed request is kept for `ttlMs` after its last `claim` or `complete`,
 *   then forgotten (a claim after that is `new` again). Requests of different users never meet.
 */
export interface RequestStore {
  /** Claims request `id` of `user`, or says who has. */
  claim(user: string, id: string, ttlMs: number): Promise<RequestClaim>;
  /** Records the answer of a request this node claimed. */
  complete(user: string, id: string, answer: string, ttlMs: number): Promise<void>;
}
