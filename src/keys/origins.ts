/**
 * Allowed origins of a JS / On-Device key: the web pages whose browsers may send events with it.
 * An origin is written `scheme://host[:port]` (http or https), as browsers send it in the
 * `Origin` header; it is stored in that serialized form (lower-case host, default port dropped),
 * so the check is an exact comparison.
 */

export const MAX_ALLOWED_ORIGINS = 50;

/** The serialized origin of `input`, or an explanation of why it is not one. */
export function parseOrigin(input: string): { origin: string } | { problem: string } {
  const text = input.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `${JSON.stringify(input)} is not an origin like https://www.example.com` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { problem: `${JSON.stringify(input)} is not an http or https origin` };
  }
  const extra = url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '';
  if (extra || url.pathname !== '/' || /[?#]/.test(text) || /^[a-z]+:\/\/[^/]*\/./i.test(text)) {
    return { problem: `${JSON.stringify(input)} must be scheme://host[:port] only, without a path` };
  }
  // URL keeps `*` in a host, but no browser sends one: such an origin would never match.
  if (url.hostname.includes('*')) {
    return { problem: `${JSON.stringify(input)} has a wildcard; list each origin (no * patterns)` };
  }
  return { origin: url.origin };
}

/**
 * Whether a request from `origin` (its `Origin` header) may use a key with these allowed origins.
 * No list allows every origin; a request without an `Origin` header is not a browser's
 * cross-origin request (a native app, a server), which this setting does not restrict.
 */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  if (allowed.length === 0 || origin === undefined) return true;
  const parsed = parseOrigin(origin);
  return 'origin' in parsed && allowed.includes(parsed.origin);
}
