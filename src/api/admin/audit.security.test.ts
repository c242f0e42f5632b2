import { securitySuite } from '../../../test/helpers/security.js';

securitySuite('Audit log', [
  { method: 'GET', path: '/admin/:acc/audit', permission: 'manage', ok: 200 },
  { method: 'GET', path: '/admin/:acc/audit.jsonl', permission: 'manage', ok: 200 },
]);
