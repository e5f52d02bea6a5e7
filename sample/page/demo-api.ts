// The demo's HTTP endpoints the page uses (same origin as the page).

/** A room member as `GET /rooms/:room/members` lists them. */
export interface Member {
  user: string;
  online: boolean;
}

/** `POST /auth/login`: a token for `user`, or an Error with the server's explanation. */
export async function login(user: string): Promise<string> {
  const body = await call<{ token?: unknown }>('POST', '/auth/login', { user });
  if (typeof body.token !== 'string') throw new Error('login failed: no token in the answer');
  return body.token;
}

/** `PUT /rooms/:room/members/:user` (idempotent). */
export async function joinRoom(room: string, user: string): Promise<void> {
  await call('PUT', `/rooms/${encodeURIComponent(room)}/members/${encodeURIComponent(user)}`);
}

/** `DELETE /rooms/:room/members/:user` (idempotent). */
export async function leaveRoom(room: string, user: string): Promise<void> {
  await call('DELETE', `/rooms/${encodeURIComponent(room)}/members/${encodeURIComponent(user)}`);
}

/** `GET /users/:user/rooms`. */
export async function fetchRooms(user: string): Promise<string[]> {
  const { rooms } = await call<{ rooms?: unknown }>(
    'GET',
    `/users/${encodeURIComponent(user)}/rooms`,
  );
  return Array.isArray(rooms) ? rooms.filter((room) => typeof room === 'string') : [];
}

/** `GET /rooms/:room/members`: every member, online or not. */
export async function fetchMembers(room: string): Promise<Member[]> {
  const { members } = await call<{ members?: unknown }>(
    'GET',
    `/rooms/${encodeURIComponent(room)}/members`,
  );
  return Array.isArray(members) ? members.filter(isMember) : [];
}

function isMember(value: unknown): value is Member {
  const member = value as Partial<Member> | null;
  return typeof member?.user === 'string' && typeof member.online === 'boolean';
}

/** One request; a failure becomes an Error with the server's own message when it gave one. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });
  const answer = (await response.json().catch(() => ({}))) as T & { message?: unknown };
  if (!response.ok) {
    const message = Array.isArray(answer.message) ? answer.message.join('; ') : answer.message;
    throw new Error(
      typeof message === 'string' ? message : `${method} ${path}: HTTP ${response.status}`,
    );
  }
  return answer;
}
