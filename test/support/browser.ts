import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; `.ci/run` installs it. Playwright's own browser downloads are not used. */
export const CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-quic',
  '--disable-component-update',
  '--disable-sync',
];

/** A console error or uncaught exception of a page, with when it happened. */
export interface PageError {
  page: string;
  text: string;
  at: number;
}

export interface TestBrowser {
  /** Every console error and uncaught exception of every page so far. */
  readonly errors: PageError[];
  /** Opens a tab; `name` labels its errors. */
  open(name: string, viewport: { width: number; height: number }): Promise<Page>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts headless Chromium with a fresh profile that is removed on close. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'chat-browser-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
  context.setDefaultTimeout(10_000);
  const errors: PageError[] = [];
  // The context opens with a blank tab; the tests open their own.
  const blank = context.pages();
  return {
    errors,
    async open(name, viewport) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      page.on('console', (message) => {
        if (message.type() === 'error')
          errors.push({ page: name, text: message.text(), at: Date.now() });
      });
      page.on('pageerror', (error) =>
        errors.push({ page: name, text: `uncaught: ${error.message}`, at: Date.now() }),
      );
      await Promise.all(blank.splice(0).map((tab) => tab.close()));
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        await rm(profile, { recursive: true, force: true });
      }
    },
  };
}
