/**
 * Which users belong to which rooms, cluster-wide. Membership is per user, not per connection:
 * it is kept while the user is offline and holds for every device.
 *
 * Guarantees every implementation gives:
 * - `add` and `remove` are idempotent, and answer whether they changed anything.
 * - After `add` resolves, `members` and `roomsOf` include the pair, on every node; after
 *   `remove`, neither does.
 */
export interface MembershipStore {
  /** Makes `user` a member of `room`; true when it was not one. */
  add(room: string, user: string): Promise<boolean>;
  /** Ends the membership; true when there was one. */
  remove(room: string, user: string): Promise<boolean>;
  /** Every member of `room`. */
  members(room: string): Promise<string[]>;
  /** Every room `user` is a member of. */
  roomsOf(user: string): Promise<string[]>;
}
