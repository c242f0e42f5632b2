/**
 * Checking a person's email and password, for the API's and the console's sign-in alike: under
 * the sign-in throttle, with the same answer for an unknown email and a wrong password.
 */
import type { LoginThrottle } from '../limits/login-throttle.js';
import { verifyPassword } from './passwords.js';
import type { UserService } from './users.js';

export type SignInCheck =
  | { kind: 'valid'; userId: string }
  | { kind: 'invalid' }
  /** too many failed tries: wait this many seconds */
  | { kind: 'throttled'; retryAfter: number };

export async function checkSignIn(
  deps: { users: UserService; loginThrottle: LoginThrottle },
  /** normalized (normalizeEmail) */
  email: string,
  password: string,
  /** the client's address */
  address: string,
): Promise<SignInCheck> {
  // The try is counted before the (slow) password check, so tries sent at once cannot all pass.
  const wait = await deps.loginThrottle.attempt(email, address);
  if (wait > 0) return { kind: 'throttled', retryAfter: wait };
  let user: Awaited<ReturnType<UserService['findByEmail']>>;
  try {
    user = email ? await deps.users.findByEmail(email) : undefined;
  } catch (error) {
    // Not a wrong password: the try is given back, and the store's failure answered as such.
    await deps.loginThrottle.giveBack(email, address);
    throw error;
  }
  // An unknown email still pays for a password check: both answers take as long.
  const valid = await verifyPassword(user?.passwordHash ?? null, password);
  if (!user || !valid) return { kind: 'invalid' };
  await deps.loginThrottle.succeeded(email, address);
  return { kind: 'valid', userId: user.id };
}
