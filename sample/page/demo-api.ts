// The demo's HTTP endpoints the page uses (same origin as the page).

/** `POST /auth/login`: a token for `user`, or an Error with the server's explanation. */
export async function login(user: string): Promise<string> {
  const response = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; message?: unknown };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(
      typeof body.message === 'string' ? body.message : `login failed: HTTP ${response.status}`,
    );
  }
  return body.token;
}

/** `GET /presence`: every user online now. */
export async function fetchOnlineUsers(): Promise<string[]> {
  const response = await fetch('/presence');
  if (!response.ok) throw new Error(`GET /presence: HTTP ${response.status}`);
  const { users } = (await response.json()) as { users?: unknown };
  return Array.isArray(users) ? users.filter((user) => typeof user === 'string') : [];
}
