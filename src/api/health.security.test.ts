import { securitySuite } from '../../test/helpers/security.js';

// Health, metrics and the API description are public: no credential is asked for, and a refused
// one changes nothing (a load balancer or a scraper must never be locked out by a stale header).
securitySuite('Health and metrics', [
  { method: 'GET', path: '/health', permission: 'public', ok: 200 },
  { method: 'GET', path: '/metrics', permission: 'public', ok: 200 },
  { method: 'GET', path: '/openapi.json', permission: 'public', ok: 200 },
]);
