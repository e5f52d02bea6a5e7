import type { OriginCheck } from '../../options/resolved-options.js';

/**
 * @internal Builds the origin check from the options. Browsers always send `Origin` on a
 * WebSocket handshake and cannot forge it, which is what stops cross-site WebSocket hijacking; a
 * handshake without one comes from a non-browser client and is allowed unless `requireOrigin`.
 *
 * - a function decides by itself;
 * - a list allows exactly those origins (compared as `scheme://host[:port]`), or any with `'*'`;
 * - nothing allows only the page's own origin: the Origin's host must equal the `Host` header.
 *
 * @throws TypeError at startup for a list entry that is not an origin URL.
 */
export function originPolicy(
  allowed: readonly string[] | ((origin: string) => boolean) | undefined,
  requireOrigin: boolean,
): OriginCheck {
  const matches = originMatcher(allowed);
  return (origin, host) => (origin === undefined ? !requireOrigin : matches(origin, host));
}

function originMatcher(
  allowed: readonly string[] | ((origin: string) => boolean) | undefined,
): (origin: string, host: string | undefined) => boolean {
  if (typeof allowed === 'function') return (origin) => allowed(origin) === true;
  if (allowed === undefined) {
    return (origin, host) => host !== undefined && parseOrigin(origin)?.host === host.toLowerCase();
  }
  if (allowed.includes('*')) return () => true;
  const origins = new Set(
    allowed.map((entry) => {
      const url = parseOrigin(entry);
      if (!url || url.origin === 'null') {
        throw new TypeError(
          `ChatModule: option "allowedOrigins" holds '${entry}', which is not an origin such as 'https://app.example.com'`,
        );
      }
      return url.origin;
    }),
  );
  return (origin) => {
    const parsed = parseOrigin(origin);
    return parsed !== undefined && origins.has(parsed.origin);
  };
}

function parseOrigin(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
