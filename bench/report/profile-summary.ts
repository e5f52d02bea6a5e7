import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { paths } from '../paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

const TOP = 15;

/**
 * A text digest of the CPU profiles our servers wrote: where self time went, by package or
 * source file and by function, so the flame data's headline is visible without a viewer.
 * Open the .cpuprofile files in Chrome DevTools or speedscope for the full picture.
 */
export function summarizeProfiles(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  return files
    .map((file) => summarize(file, JSON.parse(readFileSync(join(dir, file), 'utf8'))))
    .join('\n');
}

function summarize(file: string, profile: CpuProfile): string {
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let active = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    // Idle time is the loop waiting for I/O, not work.
    if (hits === 0 || functionName === '(idle)') continue;
    active += hits;
    const name = `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byArea.set(area(functionName, url), (byArea.get(area(functionName, url)) ?? 0) + hits);
  }
  const share = (hits: number): string => `${((100 * hits) / active).toFixed(1).padStart(5)} %`;
  const top = (map: Map<string, number>): string[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([name, hits]) => `  ${share(hits)}  ${name}`);
  return [
    `${file}: ${active} busy samples`,
    ' self time by area:',
    ...top(byArea),
    ' self time by function:',
    ...top(byFunction),
    '',
  ].join('\n');
}

/** Groups a frame: our module's files, a package, Node's internals, or V8's pseudo-frames. */
function area(functionName: string, url: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  return shortUrl(url);
}

function shortUrl(url: string): string {
  return url.startsWith('file://') ? relative(paths.root, new URL(url).pathname) : url;
}
