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

  async function send(page: Page, to: string, text: string): Promise<void> {
    await front(page);
    await page.fill('#to', to);
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

  function onlineUsers(page: Page): Promise<(string | null | undefined)[]> {
    return page
      .locator('#online-users button')
      .evaluateAll((buttons) => buttons.map((button) => button.firstChild?.textContent));
  }

  it('two users chat both ways, a restart is survived, and a second tab replaces the first', async () => {
    const alice = await signIn('alice', 'alice');
    const bob = await signIn('bob (phone)', 'bob', PHONE);
    await waitFor(async () => (await onlineUsers(alice)).join() === 'alice,bob', {
      what: "alice's page to list alice and bob",
    });
    assert.deepEqual(await onlineUsers(bob), ['alice', 'bob']);

    await send(alice, 'bob', 'Hi Bob! Lunch at noon?');
    await message(bob, 'incoming', 'Hi Bob! Lunch at noon?').waitFor();
    await message(alice, 'outgoing', 'delivered').waitFor();

    // Bob, on a phone, picks alice from the online list instead of typing her name.
    await front(bob);
    await bob.click('#online-users button:has-text("alice")');
    assert.equal(await bob.inputValue('#to'), 'alice');
    await bob.fill('#text', 'Sure, see you there <b>!</b>');
    await bob.press('#text', 'Enter');
    await message(alice, 'incoming', 'Sure, see you there <b>!</b>').waitFor();
    await message(bob, 'outgoing', 'delivered').waitFor();
    assert.equal(await alice.locator('#messages b').count(), 0, 'text is never parsed as HTML');

    await send(alice, 'carol', 'Are you around?');
    await message(alice, 'outgoing', 'carol is offline').waitFor();

    assert.ok(
      await bob.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'),
      'the phone layout does not scroll sideways',
    );
    await screenshot(alice, 'chat-desktop.png');
    await screenshot(bob, 'chat-phone.png');

    // The server restarts (with a new signing secret): both pages say so, then come back.
    const outageStart = Date.now();
    await demo.stop();
    for (const page of [alice, bob]) {
      await page
        .locator('#status[data-state="reconnecting"]', { hasText: /attempt [2-9]/ })
        .waitFor();
    }
    // Bob writes while offline: the client queues it and sends it after the next welcome.
    await send(bob, 'alice', 'Written during the outage');
    await message(bob, 'outgoing', 'queued until reconnected').waitFor();
    await demo.start();
    await connected(alice, 'alice');
    await connected(bob, 'bob');
    const outageEnd = Date.now();
    // Whether alice was back first decides which; either way the relay answered it.
    await message(bob, 'outgoing', 'Written during the outage')
      .locator('.meta', { hasText: /delivered|alice is offline/ })
      .waitFor();
    await send(bob, 'alice', 'Still there after the restart?');
    await message(alice, 'incoming', 'Still there after the restart?').waitFor();
    await waitFor(async () => (await onlineUsers(alice)).join() === 'alice,bob');

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
    await send(bob, 'alice', 'Which tab gets this?');
    await message(aliceAgain, 'incoming', 'Which tab gets this?').waitFor();
    assert.equal(await message(alice, 'incoming', 'Which tab gets this?').count(), 0);

    // "Use this tab" takes the chat back.
    await front(alice);
    await alice.click('#reconnect');
    await connected(alice, 'alice');
    await aliceAgain.locator('#status[data-state="replaced"]').waitFor();

    assert.deepEqual(unexpected(browser.errors, outageStart, outageEnd), []);
  });

  it('a reload within the history window keeps the conversation, and what came meanwhile', async () => {
    const carol = await signIn('carol', 'carol');
    const dan = await signIn('dan', 'dan');
    await send(carol, 'dan', 'First from carol');
    await message(dan, 'incoming', 'First from carol').waitFor();
    await send(dan, 'carol', 'Reply from dan');
    await message(carol, 'incoming', 'Reply from dan').waitFor();

    const errorsBefore = browser.errors.length;
    const reloading = carol.reload();
    await send(dan, 'carol', 'Written while carol reloads');
    await reloading;
    // Signed in again by itself, with the conversation back from the stream, in order.
    await connected(carol, 'carol');
    await message(carol, 'incoming', 'Written while carol reloads').waitFor();
    const conversation = await carol
      .locator('#messages .message')
      .evaluateAll((items) =>
        items.map((item) => `${item.className}: ${item.lastChild?.textContent}`),
      );
    assert.deepEqual(conversation, [
      'message outgoing: First from carol',
      'message incoming: Reply from dan',
      'message incoming: Written while carol reloads',
    ]);
    assert.deepEqual(browser.errors.slice(errorsBefore), []);
    await screenshot(carol, 'chat-reloaded.png');
  });
});

/** Console errors other than the browser's own reports of failed requests during the outage. */
function unexpected(errors: PageError[], from: number, to: number): PageError[] {
  return errors.filter(({ text, at }) => !(at >= from && at <= to && OUTAGE_NOISE.test(text)));
}
