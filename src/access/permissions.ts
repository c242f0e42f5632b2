/**
 * Who may do what (spec section 4). Every route declares one of these permissions; the
 * authorizer is the only place that decides what a principal may do with it.
 */
import type { KeyKind } from '../keys/token.js';

export const ROLES = ['view-reports', 'agent-author', 'agent-admin', 'account-admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  'view-reports': 'View Reports',
  'agent-author': 'Agent Author',
  'agent-admin': 'Agent Admin',
  'account-admin': 'Account Admin',
};

export type Permission =
  /** anyone, no credential needed (health, sign-in, docs) */
  | 'public'
  /** a signed-in person, whatever their accounts (who am I, sign out) */
  | 'signed-in'
  /** any valid API key, about itself (introspection) */
  | 'key-self'
  /** the runtime API: a REST API key allowed on the deploy target */
  | 'runtime'
  /** the script tag, bundle and browser events: a JS / On-Device key allowed on the deploy target */
  | 'script'
  /** read agents, goals, deploy targets, reports */
  | 'read'
  /** change agents and goals */
  | 'change'
  /** deploy to a target */
  | 'deploy'
  /** manage deploy targets, API keys, users; read the audit log: people only */
  | 'manage';

/** The account-scoped permissions, in the order of the table's rows. */
export type AccountPermission = 'read' | 'change' | 'deploy' | 'manage';

const ROLE_GRANTS: Record<Role, ReadonlySet<AccountPermission>> = {
  'view-reports': new Set(['read']),
  'agent-author': new Set(['read', 'change']),
  'agent-admin': new Set(['read', 'change', 'deploy']),
  'account-admin': new Set(['read', 'change', 'deploy', 'manage']),
};

const KEY_GRANTS: Record<KeyKind, ReadonlySet<Permission>> = {
  rest: new Set(['runtime', 'key-self']),
  js: new Set(['script', 'key-self']),
  'admin-read': new Set(['read', 'key-self']),
  'admin-author': new Set(['read', 'change', 'deploy', 'key-self']),
};

export function roleGrants(role: Role, permission: AccountPermission): boolean {
  return ROLE_GRANTS[role].has(permission);
}

export function keyGrants(kind: KeyKind, permission: Permission): boolean {
  return KEY_GRANTS[kind].has(permission);
}

/** Admin keys may use account permissions, but read-only keys not all of them. */
export function isAdminKey(kind: KeyKind): boolean {
  return kind === 'admin-read' || kind === 'admin-author';
}

export function isAccountPermission(permission: Permission): permission is AccountPermission {
  return (
    permission === 'read' || permission === 'change' || permission === 'deploy' || permission === 'manage'
  );
}
