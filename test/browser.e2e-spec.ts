import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser, type PageError, type TestBrowser } from './support/browser.js';
import { startDemoServer, type DemoServer } from './support/demo-server.js';
import { waitFor } from './support/wait.js';

const DESKTOP = { width: 960, height: 640 };
const PHONE = { width: 390, height: 720 };
/** Screenshots for a person to look at; docs/screenshot*.png are copies of them. */
const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

/**
 * What Chromium itself logs when a request fails while the server is down: expected during the
 * restart, and from nowhere else.
 */
const OUTAGE_NOISE = /net::ERR_CONNECTION_REFUSED|WebSocket connection to '.*' failed/;

describe('browser chat page (Chromium)', () => {
  let demo: DemoServer;
  let browser: TestBrowser;

  before(async () => {
    demo = await startDemoServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function signIn(name: string, user: string, viewport = DESKTOP): Promise<Page> {
    const page = await browser.open(name, viewport);
    await page.goto(demo.origin);
    await page.fill('#user-name', user);
    await page.click('#sign-in button[type=submit]');
    await connected(page, user);
    assert.equal(await page.isVisible('#sign-in'), false, 'the sign-in form is gone');
    return page;
  }

  /**
   * Brings a tab to the front before clicking or taking a picture: Playwright waits for
   * animation frames there, and a background tab gets them only every second or so.
   */
  function front(page: Page): Promise<void> {
    return page.bringToFront();
  }

  /** Opens the conversation with `user`: from the online list, or by name when not listed. */
  async function open(page: Page, user: string): Promise<void> {
    await front(page);
    const listed = page.locator(`#online-users button[data-user="${user}"]`);
    if (await listed.count()) {
      await listed.click();
    } else {
      await page.fill('#to', user);
      await page.press('#to', 'Enter');
    }
    await page.locator('#conversation-title', { hasText: new RegExp(`^${user}$`) }).waitFor();
  }

  async function openRoom(page: Page, room: string): Promise<void> {
    await front(page);
    await page.click(`#rooms button[data-room="${room}"]`);
    await page.locator('#conversation-title', { hasText: `#${room}` }).waitFor();
  }

  async function joinRoom(page: Page, room: string): Promise<void> {
    await front(page);
    await page.fill('#room-name', room);
    await page.press('#room-name', 'Enter');
    await page.locator('#conversation-title', { hasText: `#${room}` }).waitFor();
    await page.locator(`#rooms button[data-room="${room}"]`).waitFor();
  }

  /** Writes in the conversation on screen. */
  async function say(page: Page, text: string): Promise<void> {
    await front(page);
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await front(page);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}${name}` });
  }

  function connected(page: Page, user: string): Promise<void> {
    return page
      .locator('#status[data-state="connected"]', { hasText: `Connected as ${user}` })
      .waitFor();
  }

  function message(page: Page, kind: 'incoming' | 'outgoing', text: string) {
    return page.locator(`#messages .message.${kind}`, { hasText: text });
  }

  /** The receipt of one of the user's messages: `state` as the page marks it. */
  function receipt(page: Page, text: string, state: string, hasText?: string | RegExp) {
    return message(page, 'outgoing', text).locator(`.receipt[data-state="${state}"]`, {
      hasText,
    });
  }

  /** The unread count on a sidebar entry (`user` or `#room`). */
  function badge(page: Page, entry: string) {
    const button = entry.startsWith('#')
      ? `#rooms button[data-room="${entry.slice(1)}"]`
      : `#online-users button[data-user="${entry}"]`;
    return page.locator(`${button} .badge`);
  }

  /** Who the online list shows as online. */
  function onlineUsers(page: Page): Promise<(string | null)[]> {
    return page
      .locator('#online-users button[data-online="true"] .name')
      .evaluateAll((names) => names.map((name) => name.textContent));
  }

  /** The members of the room on screen: `user online|offline`. */
  function members(page: Page): Promise<string[]> {
    return page
      .locator('#room-members li')
      .evaluateAll((items) =>
        items.map(
          (item) =>
            `${item.getAttribute('data-user')} ${item.getAttribute('data-online') === 'true' ? 'online' : 'offline'}`,
        ),
      );
  }

  /** The conversation on screen: `incoming|outgoing: text`. */
  function conversation(page: Page): Promise<string[]> {
    return page
      .locator('#messages .message')
      .evaluateAll((items) =>
        items.map(
          (item) =>
            `${item.classList.contains('outgoing') ? 'outgoing' : 'incoming'}: ${item.querySelector('.text')?.textContent}`,
        ),
      );
  }

  it('two users chat both ways with receipts, a restart is survived, and a second tab replaces the first', async () => {
    const alice = await signIn('alice', 'alice');
    const bob = await signIn('bob (phone)', 'bob', PHONE);
    // Both joined the lobby: its room presence keeps the online lists live.
    await waitFor(async () => (await onlineUsers(alice)).join() === 'alice,bob', {
      what: "alice's page to list alice and bob",
    });
    assert.deepEqual(await onlineUsers(bob), ['alice', 'bob']);

    await open(alice, 'bob');
    assert.equal(await alice.textContent('#conversation-info'), 'online');
    await say(alice, 'Hi Bob! Lunch at noon?');
    // Bob is in the lobby: the message waits behind an unread count on alice's name.
    await badge(bob, 'alice').filter({ hasText: '1' }).waitFor();
    assert.equal(await bob.title(), '(1) bob · nest-chat-gateway demo');
    await open(bob, 'alice');
    await message(bob, 'incoming', 'Hi Bob! Lunch at noon?').waitFor();
    assert.equal(await badge(bob, 'alice').count(), 0, 'read once opened');
    // ✓✓: bob's device confirmed it.
    await receipt(alice, 'Hi Bob!', 'delivered', '✓✓ delivered').waitFor();

    await front(bob);
    await bob.fill('#text', 'Sure, see you there <b>!</b>');
    await bob.press('#text', 'Enter');
    await message(alice, 'incoming', 'Sure, see you there <b>!</b>').waitFor();
    await receipt(bob, 'Sure, see you there', 'delivered').waitFor();
    assert.equal(await alice.locator('#messages b').count(), 0, 'text is never parsed as HTML');

    // ✓ only: carol is offline, her stream keeps it for her.
    await open(alice, 'carol');
    assert.match((await alice.textContent('#conversation-info')) ?? '', /^offline/);
    await say(alice, 'Are you around?');
    await receipt(alice, 'Are you around?', 'sent', '✓ sent · carol is offline').waitFor();
    await open(alice, 'bob');
    assert.ok(
      await bob.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'),
      'the phone layout does not scroll sideways',
    );
    await screenshot(alice, 'chat-desktop.png');
    await screenshot(bob, 'chat-phone.png');

    // A refusal shows the ack's error code next to the message (a tab is a control character).
    await open(alice, 'car\tol');
    await say(alice, 'To nobody');
    await receipt(alice, 'To nobody', 'failed', /^✕ invalid: .*to must be a user id/).waitFor();
    await open(alice, 'bob');

    // The server restarts (with a new signing secret): both pages say so, then come back.
    const outageStart = Date.now();
    await demo.stop();
    for (const page of [alice, bob]) {
      await page
        .locator('#status[data-state="reconnecting"]', { hasText: /attempt [2-9]/ })
        .waitFor();
    }
    // Bob writes while offline: the request waits for the next connection.
    await say(bob, 'Written during the outage');
    await receipt(bob, 'Written during the outage', 'queued', 'queued until reconnected').waitFor();
    await demo.start();
    await connected(alice, 'alice');
    await connected(bob, 'bob');
    const outageEnd = Date.now();
    // Whether alice was back first decides which; either way the server answered it.
    await message(bob, 'outgoing', 'Written during the outage')
      .locator('.receipt', { hasText: /✓✓ delivered|✓ sent · alice is offline/ })
      .waitFor();
    await say(bob, 'Still there after the restart?');
    await message(alice, 'incoming', 'Still there after the restart?').waitFor();
    await receipt(bob, 'Still there after the restart?', 'delivered').waitFor();
    await waitFor(async () => (await onlineUsers(alice)).join() === 'alice,bob', {
      what: 'the online list after the restart',
    });

    // Alice opens the chat in a second tab: it takes over, and the first tab stays offline.
    const aliceAgain = await signIn('alice (second tab)', 'alice');
    await alice.locator('#status[data-state="replaced"]').waitFor();
    await alice.locator('#reconnect', { hasText: 'Use this tab' }).waitFor();
    await screenshot(alice, 'chat-replaced.png');
    // A retry would start within the first backoff window (500 ms); a negative can only be
    // checked by waiting past it.
    await alice.waitForTimeout(1000);
    assert.equal(await alice.getAttribute('#status', 'data-state'), 'replaced');
    assert.equal(await aliceAgain.getAttribute('#status', 'data-state'), 'connected');
    const presence = await (await fetch(`${demo.origin}/users/alice/presence`)).json();
    assert.deepEqual(presence, { user: 'alice', online: true, connections: 1 });
    await open(bob, 'alice');
    await say(bob, 'Which tab gets this?');
    await badge(aliceAgain, 'bob').filter({ hasText: '1' }).waitFor();
    await open(aliceAgain, 'bob');
    await message(aliceAgain, 'incoming', 'Which tab gets this?').waitFor();
    assert.equal(await message(alice, 'incoming', 'Which tab gets this?').count(), 0);

    // "Use this tab" takes the chat back, and catches up with what the other tab got meanwhile.
    await front(alice);
    await alice.click('#reconnect');
    await connected(alice, 'alice');
    await aliceAgain.locator('#status[data-state="replaced"]').waitFor();
    await message(alice, 'incoming', 'Which tab gets this?').waitFor();

    assert.deepEqual(unexpected(browser.errors, outageStart, outageEnd), []);
  });

  it('two users talk in a room, see its members come and go, and leave it', async () => {
    const errorsBefore = browser.errors.length;
    // A name the server refuses: the form says why, and nobody is signed in.
    const refused = await browser.open('refused sign-in', DESKTOP);
    await refused.goto(demo.origin);
    await refused.fill('#user-name', 'tab\there');
    await refused.click('#sign-in button[type=submit]');
    await refused.locator('#sign-in-error', { hasText: 'invalid user id' }).waitFor();
    assert.equal(await refused.isVisible('#chat'), false);
    await refused.close();
    const erin = await signIn('erin', 'erin');
    let frank = await signIn('frank', 'frank');
    await joinRoom(erin, 'team');
    await waitFor(async () => (await members(erin)).join() === 'erin online', {
      what: "erin's #team to list erin",
    });
    await joinRoom(frank, 'team');
    await waitFor(async () => (await members(frank)).join() === 'erin online,frank online', {
      what: "frank's #team to list both",
    });

    // Erin's member list has frank before he says anything: his join was announced to the room.
    await waitFor(async () => (await members(erin)).join() === 'erin online,frank online', {
      what: "erin's #team to list frank",
    });

    await say(frank, 'Hello team');
    await message(erin, 'incoming', 'Hello team').locator('.meta', { hasText: 'frank' }).waitFor();
    await receipt(frank, 'Hello team', 'delivered', '✓✓ delivered').waitFor();
    await say(erin, 'Welcome, frank');
    await message(frank, 'incoming', 'Welcome, frank').waitFor();
    // Frank was left out of his own message: the next one still reaches him live, and is acked.
    await receipt(erin, 'Welcome, frank', 'delivered').waitFor();
    await screenshot(erin, 'chat-room.png');

    // Room presence: frank closes his tab, erin's #team shows him offline, and online again
    // when he is back (in a new tab, which finds the room and its conversation by itself).
    await frank.close();
    await waitFor(async () => (await members(erin)).join() === 'erin online,frank offline', {
      what: 'frank offline in #team',
    });
    assert.ok(!(await onlineUsers(erin)).includes('frank'), 'the lobby has him offline too');
    frank = await signIn('frank again', 'frank');
    await waitFor(async () => (await members(erin)).join() === 'erin online,frank online', {
      what: 'frank online again in #team',
    });
    await openRoom(frank, 'team');

    // Frank leaves: the room goes from his list, and erin is alone in it.
    await front(frank);
    await frank.click('#leave-room');
    await frank.locator('#conversation-title', { hasText: '#lobby' }).waitFor();
    assert.equal(await frank.locator('#rooms button[data-room="team"]').count(), 0);
    await openRoom(erin, 'lobby');
    await openRoom(erin, 'team');
    await waitFor(async () => (await members(erin)).join() === 'erin online', {
      what: "erin's #team without frank",
    });
    await say(erin, 'Anyone?');
    await receipt(erin, 'Anyone?', 'sent', '✓ sent · nobody else is online').waitFor();
    assert.equal(await message(frank, 'incoming', 'Anyone?').count(), 0);
    // Chromium itself reports the refused login (HTTP 400); nothing else is logged.
    const errors = browser.errors.slice(errorsBefore);
    const [refusals, others] = [
      errors.filter(({ page }) => page === 'refused sign-in'),
      errors.filter(({ page }) => page !== 'refused sign-in'),
    ];
    assert.ok(
      refusals.every(({ text }) => /status of 400/.test(text)),
      JSON.stringify(refusals),
    );
    assert.deepEqual(others, []);
  });

  it('a reload within the history window keeps the conversations, and what came meanwhile', async () => {
    const carol = await signIn('carol', 'carol');
    const dan = await signIn('dan', 'dan');
    await joinRoom(carol, 'night');
    await joinRoom(dan, 'night');
    await say(carol, 'Night owls?');
    await message(dan, 'incoming', 'Night owls?').waitFor();
    await open(carol, 'dan');
    await say(carol, 'First from carol');
    await open(dan, 'carol');
    await message(dan, 'incoming', 'First from carol').waitFor();
    await say(dan, 'Reply from dan');
    await message(carol, 'incoming', 'Reply from dan').waitFor();
    await receipt(carol, 'First from carol', 'delivered').waitFor();

    const errorsBefore = browser.errors.length;
    // Sent right before the reload: answered or not by then, it must arrive once and show once.
    await say(carol, 'Sent as carol reloads');
    const reloading = carol.reload();
    await say(dan, 'Written while carol reloads');
    await openRoom(dan, 'night');
    await say(dan, 'In the room while carol reloads');
    await reloading;
    // Signed in again by itself, on the conversation she had open, with it back from the
    // stream, in order.
    await connected(carol, 'carol');
    await carol.locator('#conversation-title', { hasText: /^dan$/ }).waitFor();
    await message(carol, 'incoming', 'Written while carol reloads').waitFor();
    await receipt(carol, 'Sent as carol reloads', 'delivered').waitFor();
    const shown = await conversation(carol);
    assert.deepEqual(
      shown.filter((entry) => entry !== 'outgoing: Sent as carol reloads'),
      [
        'outgoing: First from carol',
        'incoming: Reply from dan',
        'incoming: Written while carol reloads',
      ],
    );
    assert.equal(shown.length, 4, shown.join(' | '));
    await open(dan, 'carol');
    await message(dan, 'incoming', 'Sent as carol reloads').waitFor();
    assert.equal(await message(dan, 'incoming', 'Sent as carol reloads').count(), 1);
    // The room's conversation came back too; only what came during the reload is unread.
    await badge(carol, '#night').filter({ hasText: '1' }).waitFor();
    await openRoom(carol, 'night');
    await message(carol, 'incoming', 'In the room while carol reloads').waitFor();
    assert.deepEqual(await conversation(carol), [
      'outgoing: Night owls?',
      'incoming: In the room while carol reloads',
    ]);
    assert.deepEqual(browser.errors.slice(errorsBefore), []);
    await screenshot(carol, 'chat-reloaded.png');
  });
});

/** Console errors other than the browser's own reports of failed requests during the outage. */
function unexpected(errors: PageError[], from: number, to: number): PageError[] {
  return errors.filter(({ text, at }) => !(at >= from && at <= to && OUTAGE_NOISE.test(text)));
}
