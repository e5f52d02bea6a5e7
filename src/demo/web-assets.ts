import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directories of the browser page and the client module that `npm run build` writes. */
export interface WebAssets {
  /** `dist/demo/page`: index.html, styles.css and the page's modules. */
  page: string;
  /** `dist/client`: the client library as ES modules. */
  client: string;
}

/**
 * Finds the built browser page and client in this package's `dist/`, wherever the demo itself
 * was compiled to (`dist/demo` by `npm run build`, `build/src/demo` by `npm test`).
 * @returns undefined when they have not been built
 */
export function findWebAssets(): WebAssets | undefined {
  const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
  const assets = { page: join(root, 'dist/demo/page'), client: join(root, 'dist/client') };
  const built =
    existsSync(join(assets.page, 'index.html')) && existsSync(join(assets.client, 'index.js'));
  return built ? assets : undefined;
}

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
