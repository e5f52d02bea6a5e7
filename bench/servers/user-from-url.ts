/**
 * The `user` query parameter of a request URL: how the servers without JWT learn who connects.
 * All three systems use this same function, so its cost is the same in each.
 */
export function userFromUrl(url: string | undefined): string | null {
  const query = url?.indexOf('?') ?? -1;
  return query < 0 ? null : new URLSearchParams(url!.slice(query + 1)).get('user');
}
