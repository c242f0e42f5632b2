import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiKey } from '../keys/api-key.js';
import type { KeyKind } from '../keys/token.js';
import type { DeployTarget } from '../targets/deploy-targets.js';
import { authorize, type Decision } from './authorizer.js';
import type { Permission, Role } from './permissions.js';
import type { Principal } from './principal.js';

const ACC = 'acc-main000001';
const OTHER = 'acc-other00001';

function target(id: string, kind: 'rest' | 'js', accountId = ACC): DeployTarget {
  return {
    id,
    accountId,
    name: id,
    kind,
    deployMode: 'automatic',
    isDefault: false,
    honourPrivacySignals: false,
    visitorStorage: 'localStorage',
    cookieDomain: null,
    deployedVersion: null,
    deployedAt: null,
    createdAt: 0,
  };
}

const production = target('dt-product', 'rest');
const staging = target('dt-staging', 'rest');
const web = target('dt-web0001', 'js');
const app = target('dt-app0001', 'js');

function keyOf(kind: KeyKind, fields: Partial<ApiKey> = {}): Principal {
  const key: ApiKey = {
    id: `key-${kind}`,
    accountId: ACC,
    kind,
    name: kind,
    masked: 'tess_…',
    deployTargets: [],
    createdAt: 0,
    createdBy: 'admin@example.com',
    expiresAt: null,
    deletedAt: null,
    publicToken: null,
    allowedOrigins: [],
    ...fields,
  };
  return { type: 'key', key, secretHash: 'hash' };
}

function person(roles: Record<string, Role>): Principal {
  return {
    type: 'user',
    user: {
      id: 'usr-1',
      email: 'p@example.com',
      roles: new Map(Object.entries(roles)),
      csrfToken: 'csrf',
      sessionHash: 'h',
    },
  };
}

function refusal(decision: Decision): { status: number; code: string } | 'allowed' {
  return decision.allowed ? 'allowed' : { status: decision.status, code: decision.code };
}

const allowed = 'allowed' as const;
const refused = (status: number, code: string) => ({ status, code });

describe('authorize: credentials that are missing or refused', () => {
  const permissions: Permission[] = [
    'signed-in',
    'key-self',
    'runtime',
    'script',
    'read',
    'change',
    'deploy',
    'manage',
  ];

  test('public routes allow everyone, even a refused key', () => {
    for (const principal of [
      { type: 'anonymous' },
      { type: 'expired-session' },
      { type: 'refused-key', code: 'key_deleted' },
      keyOf('rest'),
      person({}),
    ] as Principal[]) {
      assert.equal(refusal(authorize(principal, 'public', {})), allowed);
    }
  });

  test('no credential: 401 credential_missing on every other permission', () => {
    for (const permission of permissions) {
      assert.deepEqual(
        refusal(authorize({ type: 'anonymous' }, permission, { accountId: ACC })),
        refused(401, 'credential_missing'),
      );
    }
  });

  test('an ended session: 401 session_expired', () => {
    for (const permission of permissions) {
      assert.deepEqual(
        refusal(authorize({ type: 'expired-session' }, permission, { accountId: ACC })),
        refused(401, 'session_expired'),
      );
    }
  });

  test('a refused key: 403 with its reason, whatever the route', () => {
    for (const code of ['key_malformed', 'key_unknown', 'key_deleted', 'key_expired'] as const) {
      for (const permission of permissions) {
        const decision = authorize({ type: 'refused-key', code }, permission, { accountId: ACC });
        assert.deepEqual(refusal(decision), refused(403, code));
        assert.ok(!decision.allowed && decision.message.length > 0);
      }
    }
  });
});

describe('authorize: keys (spec section 2 and 4)', () => {
  // permission → the answer for each key kind of the account, on a REST/JS target it may use
  const table: Record<Exclude<Permission, 'public'>, Record<KeyKind, ReturnType<typeof refusal>>> = {
    'signed-in': {
      rest: refused(403, 'wrong_key_kind'),
      js: refused(403, 'wrong_key_kind'),
      'admin-read': refused(403, 'wrong_key_kind'),
      'admin-author': refused(403, 'wrong_key_kind'),
    },
    'key-self': { rest: allowed, js: allowed, 'admin-read': allowed, 'admin-author': allowed },
    runtime: {
      rest: allowed,
      js: refused(403, 'wrong_key_kind'),
      'admin-read': refused(403, 'wrong_key_kind'),
      'admin-author': refused(403, 'wrong_key_kind'),
    },
    script: {
      rest: refused(403, 'wrong_key_kind'),
      js: allowed,
      'admin-read': refused(403, 'wrong_key_kind'),
      'admin-author': refused(403, 'wrong_key_kind'),
    },
    read: {
      rest: refused(403, 'wrong_key_kind'),
      js: refused(403, 'wrong_key_kind'),
      'admin-read': allowed,
      'admin-author': allowed,
    },
    change: {
      rest: refused(403, 'wrong_key_kind'),
      js: refused(403, 'wrong_key_kind'),
      'admin-read': refused(403, 'insufficient_role'),
      'admin-author': allowed,
    },
    deploy: {
      rest: refused(403, 'wrong_key_kind'),
      js: refused(403, 'wrong_key_kind'),
      'admin-read': refused(403, 'insufficient_role'),
      'admin-author': allowed,
    },
    manage: {
      rest: refused(403, 'wrong_key_kind'),
      js: refused(403, 'wrong_key_kind'),
      'admin-read': refused(403, 'wrong_key_kind'),
      'admin-author': refused(403, 'wrong_key_kind'),
    },
  };

  for (const [permission, byKind] of Object.entries(table)) {
    test(`${permission}: each key kind`, () => {
      for (const [kind, expected] of Object.entries(byKind)) {
        const deployTarget = permission === 'script' ? web : production;
        const decision = authorize(keyOf(kind as KeyKind), permission as Permission, {
          accountId: ACC,
          deployTarget,
        });
        assert.deepEqual(refusal(decision), expected, `${kind} key on ${permission}`);
      }
    });
  }

  test('a key of another account: 403 wrong_account on account routes, its own introspection allowed', () => {
    const restOfOther = keyOf('rest', { accountId: OTHER });
    const authorOfOther = keyOf('admin-author', { accountId: OTHER });
    const jsOfOther = keyOf('js', { accountId: OTHER });
    assert.deepEqual(
      refusal(authorize(restOfOther, 'runtime', { accountId: ACC, deployTarget: production })),
      refused(403, 'wrong_account'),
    );
    assert.deepEqual(
      refusal(authorize(jsOfOther, 'script', { accountId: ACC, deployTarget: web })),
      refused(403, 'wrong_account'),
    );
    for (const permission of ['read', 'change', 'deploy'] as const) {
      assert.deepEqual(
        refusal(authorize(authorOfOther, permission, { accountId: ACC })),
        refused(403, 'wrong_account'),
      );
    }
    assert.equal(refusal(authorize(authorOfOther, 'key-self', {})), allowed);
  });

  test('an account route without an account in the URL is refused, never allowed by default', () => {
    assert.deepEqual(refusal(authorize(keyOf('admin-author'), 'read', {})), refused(403, 'wrong_account'));
  });

  describe('deploy targets', () => {
    test('a REST key associated with dt-staging is allowed there, and refused on another REST target', () => {
      const key = keyOf('rest', { deployTargets: [staging.id] });
      assert.equal(refusal(authorize(key, 'runtime', { accountId: ACC, deployTarget: staging })), allowed);
      const other = authorize(key, 'runtime', { accountId: ACC, deployTarget: production });
      assert.deepEqual(refusal(other), refused(403, 'deploy_target_not_allowed'));
      assert.ok(!other.allowed && other.message.includes(production.id));
    });

    test('a REST key with several targets is allowed on each of them', () => {
      const key = keyOf('rest', { deployTargets: [production.id, staging.id] });
      for (const dt of [production, staging]) {
        assert.equal(refusal(authorize(key, 'runtime', { accountId: ACC, deployTarget: dt })), allowed);
      }
    });

    test('no association means every REST target', () => {
      const key = keyOf('rest');
      for (const dt of [production, staging, target('dt-new00001', 'rest')]) {
        assert.equal(refusal(authorize(key, 'runtime', { accountId: ACC, deployTarget: dt })), allowed);
      }
    });

    test('a JS target is not a REST target: 404 deploy_target_not_found, even with no association', () => {
      for (const key of [keyOf('rest'), keyOf('rest', { deployTargets: [staging.id] })]) {
        assert.deepEqual(
          refusal(authorize(key, 'runtime', { accountId: ACC, deployTarget: web })),
          refused(404, 'deploy_target_not_found'),
        );
      }
    });

    test('a target that does not exist: 404 deploy_target_not_found', () => {
      for (const deployTarget of [null, undefined]) {
        assert.deepEqual(
          refusal(authorize(keyOf('rest'), 'runtime', { accountId: ACC, deployTarget })),
          refused(404, 'deploy_target_not_found'),
        );
        assert.deepEqual(
          refusal(authorize(keyOf('js'), 'script', { accountId: ACC, deployTarget })),
          refused(404, 'deploy_target_not_found'),
        );
      }
    });

    test('JS keys follow the same rules on JS targets', () => {
      const key = keyOf('js', { deployTargets: [web.id] });
      assert.equal(refusal(authorize(key, 'script', { accountId: ACC, deployTarget: web })), allowed);
      assert.deepEqual(
        refusal(authorize(key, 'script', { accountId: ACC, deployTarget: app })),
        refused(403, 'deploy_target_not_allowed'),
      );
      assert.equal(refusal(authorize(keyOf('js'), 'script', { accountId: ACC, deployTarget: app })), allowed);
      assert.deepEqual(
        refusal(authorize(keyOf('js'), 'script', { accountId: ACC, deployTarget: production })),
        refused(404, 'deploy_target_not_found'),
      );
    });

    test('the kind of key is checked before the target', () => {
      assert.deepEqual(
        refusal(authorize(keyOf('js'), 'runtime', { accountId: ACC, deployTarget: web })),
        refused(403, 'wrong_key_kind'),
      );
    });
  });
});

describe('authorize: people (spec section 4)', () => {
  // the table of section 4, one row per permission: roles that may
  const may: Record<'read' | 'change' | 'deploy' | 'manage', Role[]> = {
    read: ['view-reports', 'agent-author', 'agent-admin', 'account-admin'],
    change: ['agent-author', 'agent-admin', 'account-admin'],
    deploy: ['agent-admin', 'account-admin'],
    manage: ['account-admin'],
  };
  const roles: Role[] = ['view-reports', 'agent-author', 'agent-admin', 'account-admin'];

  for (const [permission, allowedRoles] of Object.entries(may)) {
    test(`${permission}: each role`, () => {
      for (const role of roles) {
        const decision = authorize(person({ [ACC]: role }), permission as Permission, { accountId: ACC });
        assert.deepEqual(
          refusal(decision),
          allowedRoles.includes(role) ? allowed : refused(403, 'insufficient_role'),
          `${role} on ${permission}`,
        );
      }
    });
  }

  test('a role counts only in its own account: another account answers wrong_account', () => {
    const adminElsewhere = person({ [OTHER]: 'account-admin' });
    for (const permission of ['read', 'change', 'deploy', 'manage'] as const) {
      assert.deepEqual(
        refusal(authorize(adminElsewhere, permission, { accountId: ACC })),
        refused(403, 'wrong_account'),
      );
    }
    const both = person({ [OTHER]: 'account-admin', [ACC]: 'view-reports' });
    assert.deepEqual(
      refusal(authorize(both, 'manage', { accountId: ACC })),
      refused(403, 'insufficient_role'),
    );
    assert.equal(refusal(authorize(both, 'manage', { accountId: OTHER })), allowed);
  });

  test('an account route without an account in the URL refuses a person too', () => {
    assert.deepEqual(
      refusal(authorize(person({ [ACC]: 'account-admin' }), 'read', {})),
      refused(403, 'wrong_account'),
    );
  });

  test('signed-in routes allow anyone signed in, with or without accounts', () => {
    assert.equal(refusal(authorize(person({}), 'signed-in', {})), allowed);
    assert.equal(refusal(authorize(person({ [ACC]: 'view-reports' }), 'signed-in', {})), allowed);
  });

  test('a person on a key-only route has no credential for it: 401 credential_missing', () => {
    for (const permission of ['key-self', 'runtime', 'script'] as const) {
      const decision = authorize(person({ [ACC]: 'account-admin' }), permission, {
        accountId: ACC,
        deployTarget: permission === 'script' ? web : production,
      });
      assert.deepEqual(refusal(decision), refused(401, 'credential_missing'));
    }
  });
});
