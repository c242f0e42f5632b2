/**
 * Deploy targets: where agents run. `rest` targets serve the runtime API, `js` targets the script
 * tag and native bundle. The runtime resolves a target on every request, so lookups are cached
 * and evicted through the change feed; every write announces itself from inside its transaction.
 *
 * Over 400 lines on purpose: the target record, its cache and every write that must evict it
 * stay together, so no write can forget the cache.
 */
import type { Kysely, Selectable } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { ActorLike, AuditRecorder } from '../audit/audit-log.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { newDeployTargetId } from '../kernel/ids.js';
import type { ChangeFeed } from '../store/changes.js';
import type { Database } from '../store/schema.js';

export const DEPLOY_TARGET_KINDS = ['rest', 'js'] as const;
export type DeployTargetKind = (typeof DEPLOY_TARGET_KINDS)[number];
export const DEPLOY_MODES = ['automatic', 'manual'] as const;
export type DeployMode = (typeof DEPLOY_MODES)[number];
export const VISITOR_STORAGES = ['localStorage', 'cookie'] as const;
export type VisitorStorage = (typeof VISITOR_STORAGES)[number];

export interface DeployTarget {
  id: string;
  accountId: string;
  name: string;
  kind: DeployTargetKind;
  deployMode: DeployMode;
  isDefault: boolean;
  deployedVersion: number | null;
  deployedAt: number | null;
  createdAt: number;
  /**
   * JS targets: the script answers a visitor whose browser sends Do-Not-Track or Global Privacy
   * Control as if every agent were paused, and counts and stores nothing about them
   */
  honourPrivacySignals: boolean;
  /**
   * JS targets: where the script keeps the visitor's state. `localStorage` is one host name's;
   * a `cookie` on a parent domain is shared by its subdomains. Decisions are the same either way.
   */
  visitorStorage: VisitorStorage;
  /** JS targets with cookie storage: the cookie's Domain; null = the page's own host name */
  cookieDomain: string | null;
}

type Row = Selectable<Database['deploy_targets']>;

function toDeployTarget(row: Row): DeployTarget {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    kind: row.kind as DeployTargetKind,
    deployMode: row.deploy_mode as DeployMode,
    isDefault: row.is_default === 1,
    deployedVersion: row.deployed_version,
    deployedAt: row.deployed_at,
    createdAt: row.created_at,
    honourPrivacySignals: row.honour_privacy_signals === 1,
    visitorStorage: row.visitor_storage === 'cookie' ? 'cookie' : 'localStorage',
    cookieDomain: row.cookie_domain,
  };
}

export interface NewDeployTarget {
  name: string;
  kind: DeployTargetKind;
  deployMode: DeployMode;
  isDefault?: boolean;
  honourPrivacySignals?: boolean;
  visitorStorage?: VisitorStorage;
  cookieDomain?: string | null;
}

/**
 * Gives targets their deployments as they are created or switched to `automatic` (implemented by
 * deployments.ts): `write` runs in a transaction holding the account's configuration lock, and an
 * `automatic` target it returns is deployed with the current configuration before commit.
 */
export interface TargetDeployer {
  writeTarget(
    accountId: string,
    write: (trx: Kysely<Database>) => Promise<DeployTarget>,
  ): Promise<DeployTarget>;
}

export interface DeployTargetService {
  list(accountId: string): Promise<DeployTarget[]>;
  get(accountId: string, id: string): Promise<DeployTarget>;
  /** The target a runtime request addresses: the given id, or the account's default REST target. */
  resolve(accountId: string, id: string | undefined): Promise<DeployTarget | undefined>;
  /**
   * What `resolve` would answer from memory, without waiting: the target when it is held and the
   * change feed is live, else undefined (then `resolve` reads the store).
   */
  peek(accountId: string, id: string | undefined): DeployTarget | undefined;
  /** `by`: who makes the change, for the audit log (written in the change's transaction) */
  create(accountId: string, input: NewDeployTarget, by?: ActorLike): Promise<DeployTarget>;
  update(
    accountId: string,
    id: string,
    /** `kind` never changes: present, it must be the target's own (a record read back is accepted) */
    patch: {
      name?: string;
      deployMode?: DeployMode;
      kind?: DeployTargetKind;
      honourPrivacySignals?: boolean;
      visitorStorage?: VisitorStorage;
      cookieDomain?: string | null;
    },
    by?: ActorLike,
  ): Promise<DeployTarget>;
  remove(accountId: string, id: string, by?: ActorLike): Promise<DeployTarget>;
}

export interface DeployTargetDeps {
  changes: ChangeFeed;
  audit: AuditRecorder;
  /**
   * The keys associated with a target (the keys module owns that association): a target in use
   * is not deleted.
   */
  keysUsing(deployTargetId: string): Promise<Array<{ id: string; name: string }>>;
  /** gives new and switched-to-automatic targets their deployments (absent: targets are written as they are) */
  deployer?: TargetDeployer;
}

export function createDeployTargetService(db: Kysely<Database>, deps: DeployTargetDeps): DeployTargetService {
  const { changes, audit, keysUsing, deployer } = deps;
  // Runtime lookups by id, and the default REST target by account. Undefined answers are not cached.
  const byId = new LRUCache<string, DeployTarget>({ max: 50_000 });
  const defaultByAccount = new LRUCache<string, string>({ max: 50_000 });
  // Bumped on every eviction: a read that started before a change does not put its (possibly
  // stale) answer into the cache; nor does any read while the feed may be missing changes.
  let generation = 0;
  changes.subscribe((change) => {
    // A deployment changes the target's deployedVersion too (and may arrive before its
    // `deploy-target` change from another server).
    if (change.type === 'deploy-target' || change.type === 'deployment') {
      generation++;
      byId.delete(change.deployTargetId);
      defaultByAccount.delete(change.accountId);
    } else if (change.type === 'resync') {
      generation++;
      byId.clear();
      defaultByAccount.clear();
    }
  });
  const mayCache = (startedAt: number) => generation === startedAt && changes.isLive();

  // A new `automatic` target starts with the current configuration; without a deployer (no agents
  // module), targets are written as they are.
  const writeTarget = (accountId: string, write: (trx: Kysely<Database>) => Promise<DeployTarget>) =>
    deployer
      ? deployer.writeTarget(accountId, write)
      : changes.transaction(db, async (trx, publish) => {
          const target = await write(trx);
          publish({ type: 'deploy-target', accountId, deployTargetId: target.id });
          return target;
        });

  async function find(
    accountId: string,
    id: string,
    executor: Kysely<Database> = db,
  ): Promise<DeployTarget | undefined> {
    const row = await executor
      .selectFrom('deploy_targets')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toDeployTarget(row) : undefined;
  }

  async function get(accountId: string, id: string): Promise<DeployTarget> {
    const target = await find(accountId, id);
    if (!target) throw new NotFoundError('deploy_target_not_found', `No deploy target ${id} in this account`);
    return target;
  }

  return {
    async list(accountId) {
      const rows = await db
        .selectFrom('deploy_targets')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toDeployTarget);
    },
    get,
    peek(accountId, id) {
      if (!changes.isLive()) return undefined;
      const targetId = id ?? defaultByAccount.get(accountId);
      const cached = targetId === undefined ? undefined : byId.get(targetId);
      return cached?.accountId === accountId ? cached : undefined;
    },
    async resolve(accountId, id) {
      // A feed that cannot prove it is live may have missed a change: nothing from memory.
      const live = changes.isLive();
      const targetId = id ?? (live ? defaultByAccount.get(accountId) : undefined);
      const startedAt = generation;
      if (targetId === undefined) {
        const row = await db
          .selectFrom('deploy_targets')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('is_default', '=', 1)
          .executeTakeFirst();
        if (!row) return undefined;
        const target = toDeployTarget(row);
        if (mayCache(startedAt)) {
          defaultByAccount.set(accountId, target.id);
          byId.set(target.id, target);
        }
        return target;
      }
      const cached = live ? byId.get(targetId) : undefined;
      if (cached) return cached.accountId === accountId ? cached : undefined;
      const target = await find(accountId, targetId);
      if (target && mayCache(startedAt)) byId.set(target.id, target);
      return target;
    },
    async create(accountId, input, by) {
      const target: DeployTarget = {
        id: newDeployTargetId(),
        accountId,
        name: input.name,
        kind: input.kind,
        deployMode: input.deployMode,
        isDefault: input.isDefault === true && input.kind === 'rest',
        deployedVersion: null,
        deployedAt: null,
        createdAt: Date.now(),
        honourPrivacySignals: input.honourPrivacySignals === true,
        ...storageSettings(input.kind, { visitorStorage: 'localStorage', cookieDomain: null }, input),
      };
      jsOnly(target.kind, input.honourPrivacySignals);
      const created = await writeTarget(accountId, async (trx) => {
        await trx
          .insertInto('deploy_targets')
          .values({
            id: target.id,
            account_id: accountId,
            name: target.name,
            kind: target.kind,
            deploy_mode: target.deployMode,
            is_default: target.isDefault ? 1 : 0,
            deployed_version: null,
            deployed_at: null,
            created_at: target.createdAt,
            honour_privacy_signals: target.honourPrivacySignals ? 1 : 0,
            visitor_storage: target.visitorStorage,
            cookie_domain: target.cookieDomain,
          })
          .execute();
        await audit.record(trx, by, {
          accountId,
          action: 'deploy-target.create',
          targetType: 'deploy-target',
          targetId: target.id,
          before: null,
          after: audited(target),
        });
        return target;
      });
      return created;
    },
    async update(accountId, id, patch, by) {
      await get(accountId, id);
      // Switched to `automatic`, a target is deployed with the current configuration at once.
      const next = await writeTarget(accountId, async (trx) => {
        const target = await find(accountId, id, trx);
        if (!target)
          throw new NotFoundError('deploy_target_not_found', `No deploy target ${id} in this account`);
        const { kind, ...changes } = patch;
        if (kind !== undefined && kind !== target.kind) {
          throw new InvalidInputError(
            'kind',
            `a deploy target's kind never changes (${id} is ${target.kind}): create a ${kind} target instead`,
          );
        }
        jsOnly(target.kind, changes.honourPrivacySignals);
        const { visitorStorage, cookieDomain, ...rest } = changes;
        const updated: DeployTarget = {
          ...target,
          ...definedOnly(rest),
          ...storageSettings(target.kind, target, { visitorStorage, cookieDomain }),
        };
        await trx
          .updateTable('deploy_targets')
          .set({
            name: updated.name,
            deploy_mode: updated.deployMode,
            honour_privacy_signals: updated.honourPrivacySignals ? 1 : 0,
            visitor_storage: updated.visitorStorage,
            cookie_domain: updated.cookieDomain,
          })
          .where('account_id', '=', accountId)
          .where('id', '=', id)
          .execute();
        await audit.record(trx, by, {
          accountId,
          action: 'deploy-target.update',
          targetType: 'deploy-target',
          targetId: id,
          before: audited(target),
          after: audited(updated),
        });
        return updated;
      });
      return next;
    },
    async remove(accountId, id, by) {
      const target = await get(accountId, id);
      if (target.isDefault) {
        throw new ConflictError(
          'deploy_target_is_default',
          `${id} is the account's default REST deploy target (used by /v3/agent-api without a target) and cannot be deleted`,
        );
      }
      const using = await keysUsing(id);
      if (using.length > 0) {
        const names = using.map((k) => `"${k.name}" (${k.id})`).join(', ');
        throw new ConflictError(
          'deploy_target_in_use',
          `Deploy target ${id} is associated with API keys ${names}; remove it from those keys first`,
        );
      }
      await changes.transaction(db, async (trx, publish) => {
        await trx
          .deleteFrom('deploy_targets')
          .where('account_id', '=', accountId)
          .where('id', '=', id)
          .execute();
        await audit.record(trx, by, {
          accountId,
          action: 'deploy-target.delete',
          targetType: 'deploy-target',
          targetId: id,
          before: audited(target),
          after: null,
        });
        publish({ type: 'deploy-target', accountId, deployTargetId: id });
      });
      return target;
    },
  };
}

/** A target as the audit log shows it. */
const audited = (t: DeployTarget) => ({
  name: t.name,
  kind: t.kind,
  deployMode: t.deployMode,
  isDefault: t.isDefault,
  honourPrivacySignals: t.honourPrivacySignals,
  visitorStorage: t.visitorStorage,
  cookieDomain: t.cookieDomain,
});

type StorageSettings = Pick<DeployTarget, 'visitorStorage' | 'cookieDomain'>;

// A host name a cookie's Domain may name: two labels or more (a single one, such as `localhost`,
// is refused by browsers as a cookie domain), each of letters, digits and inner hyphens.
const COOKIE_DOMAIN =
  /^\.?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The storage settings after a change. The domain only means something to a cookie: naming one
 * with localStorage is refused, and switching to localStorage without naming one drops it. Both
 * are the script's: a REST target keeps nothing in a browser.
 */
function storageSettings(
  kind: DeployTargetKind,
  current: StorageSettings,
  change: { visitorStorage?: VisitorStorage | undefined; cookieDomain?: string | null | undefined },
): StorageSettings {
  const visitorStorage = change.visitorStorage ?? current.visitorStorage;
  if (kind !== 'js' && visitorStorage !== 'localStorage') {
    throw new InvalidInputError(
      'visitorStorage',
      'only a JavaScript / On-Device target keeps visitors in the browser (a REST caller keeps its own sessions)',
    );
  }
  if (kind !== 'js' && change.cookieDomain != null) {
    throw new InvalidInputError('cookieDomain', 'only a JavaScript / On-Device target sets a cookie');
  }
  let cookieDomain = change.cookieDomain === undefined ? current.cookieDomain : change.cookieDomain;
  if (visitorStorage !== 'cookie') {
    if (change.cookieDomain != null) {
      throw new InvalidInputError('cookieDomain', 'a cookie domain needs visitorStorage "cookie"');
    }
    cookieDomain = null;
  }
  if (cookieDomain !== null) {
    cookieDomain = cookieDomain.trim().toLowerCase();
    if (cookieDomain === '') cookieDomain = null;
    else if (!COOKIE_DOMAIN.test(cookieDomain)) {
      throw new InvalidInputError(
        'cookieDomain',
        'the cookie domain must be a domain such as "example.com" or ".example.com" (letters, digits, hyphens and dots)',
      );
    }
  }
  return { visitorStorage, cookieDomain };
}

/** Privacy signals are the script's to honour: a REST target's caller decides for its visitors. */
function jsOnly(kind: DeployTargetKind, honourPrivacySignals: boolean | undefined): void {
  if (honourPrivacySignals === true && kind !== 'js') {
    throw new InvalidInputError(
      'honourPrivacySignals',
      'only a JavaScript / On-Device target honours privacy signals (its script sees the browser)',
    );
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Checks that ids name targets of this account of the wanted kind; used when associating keys. */
export async function assertDeployTargets(
  service: DeployTargetService,
  accountId: string,
  ids: string[],
  kind: DeployTargetKind,
): Promise<void> {
  const targets = new Map((await service.list(accountId)).map((t) => [t.id, t]));
  for (const id of ids) {
    const target = targets.get(id);
    if (!target) throw new InvalidInputError('deployTargets', `No deploy target ${id} in this account`);
    if (target.kind !== kind) {
      throw new InvalidInputError(
        'deployTargets',
        `${id} is a ${target.kind === 'rest' ? 'REST API' : 'JavaScript / On-Device'} deploy target; this key can only be associated with ${kind === 'rest' ? 'REST API' : 'JavaScript / On-Device'} targets`,
      );
    }
  }
}
