import { fileURLToPath } from 'node:url';

/** Where things are, from the compiled harness in dist-bench/. */
export const paths = {
  /** The compiled harness (dist-bench/), where the server and worker entries live. */
  compiled: fileURLToPath(new URL('./', import.meta.url)),
  /** Repository root. */
  root: fileURLToPath(new URL('../', import.meta.url)),
  /** Gitignored output: smoke-run reports and CPU profiles. */
  results: fileURLToPath(new URL('../bench/results/', import.meta.url)),
  /** The published report. */
  docs: fileURLToPath(new URL('../docs/', import.meta.url)),
};
