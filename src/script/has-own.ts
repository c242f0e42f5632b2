/**
 * `Object.hasOwn` for browsers older than it (Safari before 15.4): the bundle's references to it
 * are replaced by this function at build time, so no global of the page is touched.
 */
const ownProperty = Object.prototype.hasOwnProperty;

export function tesseraHasOwn(target: object, key: PropertyKey): boolean {
  return ownProperty.call(target, key);
}
