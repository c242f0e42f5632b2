/**
 * Table types for Kysely. Times are epoch milliseconds in BIGINT columns on both dialects
 * (PostgreSQL's int8 is parsed to a number in `connect.ts`, the one place that knows about it).
 * JSON values are stored as TEXT so one set of migrations serves SQLite and PostgreSQL.
 */

export interface AccountsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: string;
  email: string;
  /** null until the person chose a password through a setup link */
  password_hash: string | null;
  created_at: number;
}

export interface MembershipsTable {
  account_id: string;
  user_id: string;
  role: string;
  created_at: number;
}

export interface LoginSessionsTable {
  /** SHA-256 of the cookie value: a copy of the table signs nobody in */
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface SetupTokensTable {
  token_hash: string;
  account_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface DeployTargetsTable {
  id: string;
  account_id: string;
  name: string;
  kind: string;
  deploy_mode: string;
  is_default: number;
  deployed_version: number | null;
  deployed_at: number | null;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  kind: string;
  name: string;
  secret_hash: string;
  masked: string;
  /** JS / On-Device keys are published in script tags, so the console may show them again */
  public_token: string | null;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  deleted_at: number | null;
  deleted_by: string | null;
}

export interface ApiKeyDeployTargetsTable {
  key_id: string;
  deploy_target_id: string;
}

export interface AgentsTable {
  account_id: string;
  code: string;
  name: string;
  status: string;
  paused_at: string | null;
  /** JSON: `{metaKeys, variations, conditions, goals}` */
  definition: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface GoalsTable {
  account_id: string;
  code: string;
  name: string;
  value: number;
  version: number;
  created_at: number;
  updated_at: number;
}

/** The version of an account's agents-and-goals configuration; bumped by every change. */
export interface ConfigurationsTable {
  account_id: string;
  version: number;
  changed_at: number;
}

/** An immutable deployed configuration (a runtime `Snapshot` as JSON), shared by the targets serving it. */
export interface SnapshotsTable {
  account_id: string;
  version: number;
  body: string;
  created_at: number;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  login_sessions: LoginSessionsTable;
  setup_tokens: SetupTokensTable;
  deploy_targets: DeployTargetsTable;
  api_keys: ApiKeysTable;
  api_key_deploy_targets: ApiKeyDeployTargetsTable;
  agents: AgentsTable;
  goals: GoalsTable;
  configurations: ConfigurationsTable;
  snapshots: SnapshotsTable;
}
