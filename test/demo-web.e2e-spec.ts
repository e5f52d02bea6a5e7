import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoServer, type DemoServer } from './support/demo-server.js';
import { TestClient } from './support/test-client.js';
import { waitFor } from './support/wait.js';

/** What the browser page needs from the demo: presence and its own files. */
describe('demo: presence and the browser page', () => {
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

  const presence = (client: TestClient) =>
    client
      .framesOf('message')
      .filter(({ data }) => data?.type === 'presence')
      .map(({ data }) => `${data.user} ${data.online ? 'online' : 'offline'}`);

  const onlineUsers = async () =>
    ((await (await fetch(`${demo.origin}/presence`)).json()) as { users: string[] }).users;

  it('pushes a change only when a user comes online or goes offline, whatever their devices do', async () => {
    assert.deepEqual(await onlineUsers(), []);
    const olga = await connect('olga');
    const seen = (entry: string) => waitFor(() => presence(olga).includes(entry), { what: entry });
    await seen('olga online');

    const paul1 = await connect('paul');
    await seen('paul online');
    assert.deepEqual(await onlineUsers(), ['olga', 'paul']);

    // Each step below must push nothing about paul. Quinn's change after it is a barrier: the
    // pushes reach olga in order, so anything about paul would have come first.
    const paul2 = await connect('paul');
    let quinn = await connect('quinn');
    await seen('quinn online');

    await paul1.close();
    await quinn.close();
    await seen('quinn offline');

    const paul3 = await connect('paul');
    const paul4 = await connect('paul'); // a third device: paul2, the oldest, is replaced
    assert.equal((await paul2.closed).code, 4000);
    quinn = await connect('quinn');
    await waitFor(() => presence(olga).filter((entry) => entry === 'quinn online').length === 2);

    await Promise.all([paul3.close(), paul4.close(), quinn.close()]);
    await seen('paul offline');
    await waitFor(() => presence(olga).filter((entry) => entry === 'quinn offline').length === 2);
    const pushes = presence(olga);
    assert.deepEqual(pushes.slice(0, 5), [
      'olga online',
      'paul online',
      'quinn online',
      'quinn offline',
      'quinn online',
    ]);
    assert.deepEqual(pushes.slice(5).sort(), ['paul offline', 'quinn offline']);
    assert.deepEqual(await onlineUsers(), ['olga']);
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
