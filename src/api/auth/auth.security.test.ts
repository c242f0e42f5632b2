import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../../../test/helpers/app.js';
import { securitySuite } from '../../../test/helpers/security.js';

securitySuite('Sign-in and setup', [
  // Signing in needs no credential, and a refused key or an old cookie does not get in the way.
  {
    method: 'POST',
    path: '/auth/login',
    permission: 'public',
    body: () => ({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    ok: 200,
  },
  { method: 'POST', path: '/auth/logout', permission: 'signed-in', ok: 200 },
  { method: 'GET', path: '/auth/me', permission: 'signed-in', ok: 200 },
  // Setup is done in this app: the answer is the same refusal of the token, whoever asks.
  {
    method: 'POST',
    path: '/setup',
    permission: 'public',
    body: () => ({
      token: 'not-a-setup-token',
      email: 'first@example.com',
      password: 'long-enough-password',
    }),
    ok: 400,
  },
]);
