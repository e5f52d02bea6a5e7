/** The id of the i-th benchmark user; servers and workers derive the same names from indexes. */
export function userId(index: number): string {
  return `u${index}`;
}

/** The first `count` user ids. */
export function userIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => userId(i));
}
