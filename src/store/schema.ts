/**
 * Table types for Kysely. Times are epoch milliseconds in BIGINT columns on both dialects
 * (PostgreSQL's int8 is parsed to a number in `connect.ts`, the one place that knows about it).
 * JSON values are stored as TEXT so one set of migrations serves SQLite and PostgreSQL.
 */
import type { ColumnType } from 'kysely';

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
  /** JS targets: 1 = visitors sending Do-Not-Track or Global Privacy Control are not tracked */
  honour_privacy_signals: ColumnType<number, number | undefined, number>;
  /** JS targets: where the script keeps the visitor's state, 'localStorage' or 'cookie' */
  visitor_storage: ColumnType<string, string | undefined, string>;
  /** JS targets with cookie storage: the cookie's Domain (a parent domain shared by subdomains) */
  cookie_domain: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** JS keys: JSON list of the web origins allowed to send browser events; null = any origin */
  allowed_origins: string | null;
  /** requests per second the key may make; null = no limit */
  rate_limit_per_second: number | null;
}

/** Every secret ever issued for a key (rolling adds one), so each stays recognised forever. */
export interface ApiKeySecretsTable {
  secret_hash: string;
  key_id: string;
  /** 1 for the key's first secret, +1 per roll */
  generation: number;
  masked: string;
  issued_at: number;
  /** the end of a rolled secret's grace period; null while it is the key's current secret */
  valid_until: number | null;
}

/** Requests per key, UTC hour, deploy target ('' = none), secret generation and outcome. */
export interface ApiKeyUsageTable {
  key_id: string;
  hour: number;
  deploy_target_id: string;
  generation: number;
  /** `ok`, or the code of the refusal */
  outcome: string;
  requests: number;
}

/** The last accepted request per key and secret generation. */
export interface ApiKeyLastUseTable {
  key_id: string;
  generation: number;
  at: number;
  deploy_target_id: string | null;
  client_address: string | null;
  user_agent: string | null;
}

/** Who changed what, when and from where; before and after as JSON (never a secret). */
export interface AuditLogTable {
  id: string;
  account_id: string;
  at: number;
  actor: string;
  client_address: string | null;
  action: string;
  target_type: string;
  target_id: string;
  before: string | null;
  after: string | null;
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

/** An account's custom visitor trait: one trait group's ordered rules (docs/targeting.md). */
export interface TraitRulesTable {
  account_id: string;
  trait_group: string;
  /** JSON: `{rules: [{value, when, match?}]}` */
  definition: string;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A QA session of a deploy target (docs/targeting.md): never counted, may force variations. */
export interface QaSessionsTable {
  account_id: string;
  code: string;
  deploy_target_id: string;
  name: string;
  /** JSON: agent code → forced variation */
  forced: string;
  expires_at: number;
  created_at: number;
  created_by: string;
}

/** A recent request of a QA session, for the console (at most 50 per QA session). */
export interface QaRequestsTable {
  account_id: string;
  code: string;
  /** sorts by time: zero-padded milliseconds, then a per-server counter */
  id: string;
  deploy_target_id: string;
  at: number;
  /** JSON: {commands, inputs, traits} */
  request: string;
  /** JSON: the answered items */
  items: string;
  /** JSON: the engine's debug lines */
  log: string;
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

/** A runtime visitor's state (engine `VisitorState` as JSON), per account and session. */
export interface VisitorsTable {
  account_id: string;
  session: string;
  state: string;
  updated_at: number;
}

/** One counted selection per account, agent and session (the primary key makes replays no-ops). */
export interface SelectionEventsTable {
  account_id: string;
  agent: string;
  session: string;
  variation: string;
  deploy_target_id: string;
  /** UTC midnight (epoch ms) of the day the session was counted: its cohort in reports */
  day: number;
  at: number;
  /** JSON list of the session's `cust/` traits when counted (null: none given); its rewards credit them */
  traits?: string | null;
}

/** One accepted reward per account, agent, goal and session, attributed to the selection's cohort. */
export interface RewardEventsTable {
  account_id: string;
  agent: string;
  goal: string;
  session: string;
  variation: string;
  /** the deploy target and day of the session's counted selection */
  deploy_target_id: string;
  day: number;
  value: number;
  at: number;
}

/** Sessions counted per agent, deploy target, day and variation (kept with the events). */
export interface AgentDailyStatsTable {
  account_id: string;
  agent: string;
  deploy_target_id: string;
  day: number;
  variation: string;
  sessions: number;
}

/** Conversions and value sums per agent, deploy target, cohort day, variation and goal. */
export interface GoalDailyStatsTable {
  account_id: string;
  agent: string;
  deploy_target_id: string;
  day: number;
  variation: string;
  goal: string;
  conversions: number;
  value_sum: number;
  value_sum_sq: number;
}

/** Sessions counted per agent, trait group and value, deploy target, day and variation. */
export interface TraitDailyStatsTable {
  account_id: string;
  agent: string;
  deploy_target_id: string;
  day: number;
  variation: string;
  trait_group: string;
  trait_value: string;
  sessions: number;
}

/** Conversions per goal of the sessions counted with a trait value (their selection's cohort). */
export interface TraitGoalDailyStatsTable {
  account_id: string;
  agent: string;
  deploy_target_id: string;
  day: number;
  variation: string;
  trait_group: string;
  trait_value: string;
  goal: string;
  conversions: number;
}

/** Weights learned by adaptive allocation, one row per configuration version that published them. */
export interface AdaptiveWeightsTable {
  account_id: string;
  agent: string;
  version: number;
  at: number;
  /** JSON: weight by variation code */
  weights: string;
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
  api_key_secrets: ApiKeySecretsTable;
  api_key_usage: ApiKeyUsageTable;
  api_key_last_use: ApiKeyLastUseTable;
  audit_log: AuditLogTable;
  agents: AgentsTable;
  goals: GoalsTable;
  trait_rules: TraitRulesTable;
  qa_sessions: QaSessionsTable;
  qa_requests: QaRequestsTable;
  configurations: ConfigurationsTable;
  snapshots: SnapshotsTable;
  visitors: VisitorsTable;
  selection_events: SelectionEventsTable;
  reward_events: RewardEventsTable;
  agent_daily_stats: AgentDailyStatsTable;
  goal_daily_stats: GoalDailyStatsTable;
  trait_daily_stats: TraitDailyStatsTable;
  trait_goal_daily_stats: TraitGoalDailyStatsTable;
  adaptive_weights: AdaptiveWeightsTable;
}
