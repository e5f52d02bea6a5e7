import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled browser page and client library, next to the compiled demo. */
export interface WebAssets {
  /** `<out>/sample/page`: index.html, styles.css and the page's modules. */
  page: string;
  /** `<out>/client/src`: the client library as ES modules. */
  client: string;
  /** `<out>/src/protocol`: the wire protocol the client imports. */
  protocol: string;
}

/**
 * Finds the page, the client and the protocol module where the build put them: beside this
 * module's compiled directory (`dist-sample/` for `npm start`, `build/` for `npm test`), since the
 * page's build writes into the same output root.
 * @returns undefined when the page has not been built
 */
export function findWebAssets(): WebAssets | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const assets = {
    page: join(here, 'page'),
    client: join(here, '../client/src'),
    protocol: join(here, '../src/protocol'),
  };
  const built =
    existsSync(join(assets.page, 'index.html')) && existsSync(join(assets.client, 'index.js'));
  return built ? assets : undefined;
}
