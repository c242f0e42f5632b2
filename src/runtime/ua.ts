/**
 * Traits derived from a User-Agent string. Plain TypeScript (also runs in the script tag).
 *
 * `ua/mo:y` when the User-Agent looks like a phone or tablet, `ua/mo:n` otherwise, nothing when
 * no User-Agent (or an empty / blank one) was given.
 */

const MOBILE =
  /Mobi|Android|iPhone|iPad|iPod|Windows Phone|IEMobile|BlackBerry|\bBB10\b|Opera Mini|Opera Mobi|webOS|Kindle|Silk\/|PlayBook|Symbian|Nokia|Fennec|Minimo|NetFront/i;

export function isMobileUserAgent(userAgent: string): boolean {
  return MOBILE.test(userAgent);
}

export function uaTraits(userAgent: string | undefined): string[] {
  if (typeof userAgent !== 'string' || userAgent.trim() === '') return [];
  return [isMobileUserAgent(userAgent) ? 'ua/mo:y' : 'ua/mo:n'];
}
