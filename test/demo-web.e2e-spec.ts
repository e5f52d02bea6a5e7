import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoServer, type DemoServer } from './support/demo-server.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

/** What the browser page needs from the demo: rooms, room presence and its own files. */
describe('demo: rooms, room presence and the browser page', () => {
  let demo: DemoServer;
  const open: TestClient[] = [];

  before(async () => {
    demo = await startDemoServer({ CHAT_CONNECTIONS_PER_USER: '2' });
  });
  after(async () => {
    await Promise.all(open.map((client) => client.close()));
    await demo.close();
  });

  async function connect(user: string): Promise<TestClient> {
    const client = await TestClient.connectAndWelcome(
      `${demo.wsUrl}?token=${await demo.login(user)}`,
    );
    open.push(client);
    return client;
  }

  /** The room presence events a client got about coming and going: `<room> <user> online|offline`. */
  const presence = (client: TestClient) =>
    client
      .framesOf('presence')
      .filter(({ data }) => data.member === undefined)
      .map(({ room, data }) => `${room} ${data.user} ${data.online ? 'online' : 'offline'}`);

  const rest = (method: string, path: string) =>
    fetch(`${demo.origin}${path}`, { method }).then(async (response) => ({
      status: response.status,
      body: response.status === 204 ? undefined : ((await response.json()) as any),
    }));

  it('pushes room presence to the room only, when a member comes online or goes offline, whatever their devices do', async () => {
    for (const user of ['olga', 'paul', 'quinn']) {
      assert.equal((await rest('PUT', `/rooms/lobby/members/${user}`)).status, 204);
    }
    const olga = await connect('olga');
    const seen = (entry: string) => waitFor(() => presence(olga).includes(entry), { what: entry });
    // An outsider, in no room with them, hears nothing about anyone.
    const outsider = await connect('outsider');

    const paul1 = await connect('paul');
    await seen('lobby paul online');
    assert.deepEqual((await rest('GET', '/rooms/lobby/members')).body, {
      room: 'lobby',
      members: [
        { user: 'olga', online: true },
        { user: 'paul', online: true },
        { user: 'quinn', online: false },
      ],
    });

    // Each step below must push nothing about paul. Quinn's change after it is a barrier: the
    // pushes reach olga in order, so anything about paul would have come first.
    const paul2 = await connect('paul');
    let quinn = await connect('quinn');
    await seen('lobby quinn online');

    await paul1.close();
    await quinn.close();
    await seen('lobby quinn offline');

    const paul3 = await connect('paul');
    const paul4 = await connect('paul'); // a third device: paul2, the oldest, is replaced
    assert.equal((await paul2.closed).code, 4000);
    quinn = await connect('quinn');
    await waitFor(
      () => presence(olga).filter((entry) => entry === 'lobby quinn online').length === 2,
    );

    await Promise.all([paul3.close(), paul4.close(), quinn.close()]);
    await seen('lobby paul offline');
    await waitFor(
      () => presence(olga).filter((entry) => entry === 'lobby quinn offline').length === 2,
    );
    const pushes = presence(olga);
    assert.deepEqual(pushes.slice(0, 4), [
      'lobby paul online',
      'lobby quinn online',
      'lobby quinn offline',
      'lobby quinn online',
    ]);
    assert.deepEqual(pushes.slice(4).sort(), ['lobby paul offline', 'lobby quinn offline']);
    assert.deepEqual(presence(outsider), []);
  });

  it('tells a room when a user joins or leaves it, and only when the membership changed', async () => {
    assert.equal((await rest('PUT', '/rooms/club/members/uma')).status, 204);
    const uma = await connect('uma');
    const vic = await connect('vic');
    const changes = (client: TestClient) =>
      client
        .framesOf('presence')
        .filter(({ data }) => data.member !== undefined)
        .map(({ room, data }) => `${room} ${data.user} ${data.member ? 'joined' : 'left'}`);
    const seen = (entry: string) => waitFor(() => changes(uma).includes(entry), { what: entry });

    assert.equal((await rest('PUT', '/rooms/club/members/vic')).status, 204);
    await seen('club vic joined');
    const joined = uma.framesOf('presence').find(({ data }) => data.member === true);
    assert.deepEqual(joined?.data, { user: 'vic', online: true, member: true });
    // A repeated join changes nothing and says nothing; the leave after it is the barrier.
    assert.equal((await rest('PUT', '/rooms/club/members/vic')).status, 204);
    assert.equal((await rest('DELETE', '/rooms/club/members/vic')).status, 204);
    await seen('club vic left');
    assert.equal((await rest('DELETE', '/rooms/club/members/vic')).status, 204);
    assert.equal((await rest('PUT', '/rooms/club/members/wes')).status, 204);
    await seen('club wes joined');
    assert.equal(
      uma.framesOf('presence').find(({ data }) => data.user === 'wes')?.data.online,
      false,
    );
    assert.deepEqual(changes(uma), ['club vic joined', 'club vic left', 'club wes joined']);
    // Nobody is told of their own change, and a former member hears nothing after leaving.
    assert.deepEqual(changes(vic), []);
  });

  it('answers the rooms endpoints as documented, and 400 for an invalid room id', async () => {
    assert.equal((await rest('PUT', '/rooms/r1/members/ann')).status, 204);
    assert.equal((await rest('PUT', '/rooms/r1/members/ann')).status, 204, 'idempotent');
    const ann = await connect('ann');
    const push = await fetch(`${demo.origin}/rooms/r1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'r1' }),
    });
    assert.equal(push.status, 202);
    const result = (await push.json()) as any;
    assert.deepEqual(
      { ...result, epoch: undefined },
      {
        room: 'r1',
        delivered: 1,
        dropped: 0,
        offset: 1,
        epoch: undefined,
      },
    );
    const frame = await ann.next('message');
    assert.deepEqual(frame, {
      event: 'message',
      room: 'r1',
      data: { hello: 'r1' },
      offset: 1,
      epoch: result.epoch,
    });
    assert.deepEqual((await rest('GET', '/users/ann/rooms')).body, { user: 'ann', rooms: ['r1'] });
    assert.equal((await rest('DELETE', '/rooms/r1/members/ann')).status, 204);
    assert.equal((await rest('DELETE', '/rooms/r1/members/ann')).status, 204, 'idempotent');
    assert.deepEqual((await rest('GET', '/rooms/r1/members')).body, { room: 'r1', members: [] });
    for (const path of [`/rooms/${'x'.repeat(129)}/members`, '/rooms/%01/members']) {
      assert.equal((await rest('GET', path)).status, 400, path);
    }
    assert.equal((await rest('PUT', '/rooms/%7F/members/ann')).status, 400);
  });

  it('serves the page at / and the client library under /lib/, next to the API', async () => {
    const page = await fetch(`${demo.origin}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /"nest-chat-gateway\/client": "\/lib\/client\/src\/index.js"/);

    for (const [path, type] of [
      ['/chat-page.js', /javascript/],
      ['/styles.css', /^text\/css/],
      ['/lib/client/src/index.js', /javascript/],
      ['/lib/client/src/chat-client.js', /javascript/],
      ['/lib/src/protocol/index.js', /javascript/],
    ] as const) {
      const response = await fetch(`${demo.origin}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get('content-type') ?? '', type, path);
    }
    assert.equal((await fetch(`${demo.origin}/presence`)).status, 200);
    assert.equal((await fetch(`${demo.origin}/lib/client/src/`)).status, 404);
    // Only the client and the protocol are served, never the server's code.
    assert.equal((await fetch(`${demo.origin}/lib/src/index.js`)).status, 404);
  });
});
