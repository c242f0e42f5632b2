/**
 * What every console page knows about the request: the signed-in person, their accounts and role,
 * the account the URL addresses, and what that role may do (pages hide what it may not).
 */
import type { FastifyRequest } from 'fastify';
import { type AccountPermission, type Role, roleGrants } from '../../access/permissions.js';
import type { SignedInUser } from '../../access/principal.js';
import type { Services } from '../../web/services.js';

/** What finding the viewer's accounts needs. */
export type ContextServices = Pick<Services, 'accounts'>;

export interface Membership {
  id: string;
  name: string;
  role: Role;
}

export interface Viewer {
  user: SignedInUser;
  /** every account the person belongs to, for the account switcher */
  accounts: Membership[];
}

export interface AccountContext extends Viewer {
  account: Membership;
  can(permission: AccountPermission): boolean;
  /** the address clients reach this server at, for script tags and API examples */
  origin: string;
  /** the path of this page within the account (after `/console/{acc}`), for the account switcher */
  section: string;
}

export function signedInUser(request: FastifyRequest): SignedInUser {
  const { principal } = request;
  // The authenticate hook has already refused everyone else on console routes.
  if (principal.type !== 'user') throw new Error('console route reached without a signed-in person');
  return principal.user;
}

export async function viewerOf(services: ContextServices, request: FastifyRequest): Promise<Viewer> {
  const user = signedInUser(request);
  const accounts: Membership[] = [];
  for (const [id, role] of user.roles) {
    const account = await services.accounts.get(id);
    if (account) accounts.push({ id, name: account.name, role });
  }
  accounts.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return { user, accounts };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the address people reach the server at (TESSERA_PUBLIC_URL), set on the console's scope */
    consolePublicUrl?: string | null;
  }
}

export function originOf(request: FastifyRequest): string {
  const configured = request.server.consolePublicUrl;
  if (configured) return configured.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}

export async function accountContext(
  services: ContextServices,
  request: FastifyRequest,
  accountId: string,
): Promise<AccountContext> {
  const viewer = await viewerOf(services, request);
  const account = viewer.accounts.find((a) => a.id === accountId);
  // The authorizer checked the membership; an account deleted since is simply not found.
  if (!account) throw new Error(`no membership in ${accountId}`);
  const path = request.url.split('?')[0];
  const prefix = `/console/${accountId}`;
  return {
    ...viewer,
    account,
    can: (permission) => roleGrants(account.role, permission),
    origin: originOf(request),
    section: path.startsWith(prefix) ? path.slice(prefix.length) : '',
  };
}
