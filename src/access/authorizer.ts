/**
 * The one authorizer: (principal, the route's declared permission, the account and deploy target
 * the request addresses) → allowed, or refused with the status and code of spec section 3.
 * Pure and synchronous: the HTTP layer resolves the principal and the deploy target first.
 */
import type { DeployTarget } from '../targets/deploy-targets.js';
import { isAccountPermission, isAdminKey, keyGrants, type Permission, roleGrants } from './permissions.js';
import type { Principal } from './principal.js';

export type RefusalCode =
  | 'credential_missing'
  | 'session_expired'
  | 'key_malformed'
  | 'key_unknown'
  | 'key_deleted'
  | 'key_expired'
  | 'wrong_key_kind'
  | 'wrong_account'
  | 'deploy_target_not_allowed'
  | 'deploy_target_not_found'
  | 'insufficient_role';

export type Decision =
  | { allowed: true }
  | { allowed: false; status: 401 | 403 | 404; code: RefusalCode; message: string };

export interface AccessRequest {
  /** the account in the URL, for account-scoped routes */
  accountId?: string;
  /** runtime and script routes: the addressed deploy target, or null when none exists */
  deployTarget?: DeployTarget | null;
}

const ALLOWED: Decision = { allowed: true };

function refuse(status: 401 | 403 | 404, code: RefusalCode, message: string): Decision {
  return { allowed: false, status, code, message };
}

const KEY_REFUSAL_MESSAGES = {
  key_malformed: 'The API key is not a well-formed Tessera key (check for a typo or a truncated copy)',
  key_unknown: 'The API key is not known',
  key_deleted: 'The API key has been deleted',
  key_expired: 'The API key has expired',
} as const;

const KEY_KIND_NEEDED: Partial<Record<Permission, string>> = {
  runtime: 'a REST API key',
  script: 'a JavaScript / On-Device key',
  read: 'an Admin API key or a signed-in person',
  change: 'an Agent Author / Admin key or a signed-in person',
  deploy: 'an Agent Author / Admin key or a signed-in person',
  manage: 'a signed-in Account Admin: API keys cannot manage credentials, deploy targets or users',
  'signed-in': 'a signed-in person',
};

export function authorize(
  principal: Principal,
  permission: Permission,
  request: AccessRequest = {},
): Decision {
  if (permission === 'public') return ALLOWED;

  switch (principal.type) {
    case 'anonymous':
      return refuse(401, 'credential_missing', 'This request needs a credential');
    case 'expired-session':
      return refuse(401, 'session_expired', 'Your session has ended; sign in again');
    case 'refused-key':
      return refuse(403, principal.code, KEY_REFUSAL_MESSAGES[principal.code]);
    case 'key': {
      const { key } = principal;
      if (!keyGrants(key.kind, permission)) {
        // A read-only admin key on a change is a matter of access level, not of kind.
        if (isAdminKey(key.kind) && (permission === 'change' || permission === 'deploy')) {
          return refuse(
            403,
            'insufficient_role',
            'This Admin API key is read-only (Reports and List Agents)',
          );
        }
        return refuse(
          403,
          'wrong_key_kind',
          `This request needs ${KEY_KIND_NEEDED[permission] ?? 'another kind of credential'}`,
        );
      }
      if (permission === 'key-self') return ALLOWED;
      if (request.accountId !== key.accountId) {
        return refuse(403, 'wrong_account', 'This API key belongs to another account');
      }
      if (permission === 'runtime' || permission === 'script') {
        const target = request.deployTarget;
        const wanted = permission === 'runtime' ? 'rest' : 'js';
        if (!target || target.kind !== wanted) {
          return refuse(
            404,
            'deploy_target_not_found',
            `No ${wanted === 'rest' ? 'REST API' : 'JavaScript / On-Device'} deploy target here`,
          );
        }
        if (key.deployTargets.length > 0 && !key.deployTargets.includes(target.id)) {
          return refuse(
            403,
            'deploy_target_not_allowed',
            `This API key is not associated with deploy target ${target.id}`,
          );
        }
      }
      return ALLOWED;
    }
    case 'user': {
      const { user } = principal;
      if (permission === 'signed-in') return ALLOWED;
      if (!isAccountPermission(permission)) {
        return refuse(
          401,
          'credential_missing',
          `This request needs ${KEY_KIND_NEEDED[permission] ?? 'an API key'}`,
        );
      }
      const role = request.accountId === undefined ? undefined : user.roles.get(request.accountId);
      if (role === undefined) return refuse(403, 'wrong_account', 'You are not a member of this account');
      if (!roleGrants(role, permission)) {
        return refuse(
          403,
          'insufficient_role',
          `Your role in this account does not allow this (${permission})`,
        );
      }
      return ALLOWED;
    }
  }
}
