/**
 * The immutable, deployed configuration that the runtime decision engine reads.
 *
 * A snapshot is what a deploy target serves: every agent and goal of the account as they were
 * when the target was last deployed. It is plain JSON (it is also shipped to browsers in the
 * script tag and to native apps as the bundle), so it holds no classes, dates or maps.
 */

export type AgentStatus = 'draft' | 'running' | 'paused' | 'stopped' | 'archived';

export interface SnapshotVariation {
  code: string;
  name?: string;
  /** Relative weight for random allocation; 0 keeps the variation out of it (a condition may still choose it). */
  weight: number;
  meta: Record<string, string>;
}

/** One clause of a condition: an input equals a value, or the session has a trait (e.g. `cust/F:1`, `ua/mo:y`). */
export type ConditionClause = { input: string; is: string } | { trait: string } | RuleClause;

export interface SnapshotCondition {
  /** All clauses must hold (or, with `match: "any"`, one of them); an empty list always holds. */
  when: ConditionClause[];
  match?: RuleMatch;
  /** Variation code answered when the condition holds. */
  then: string;
}

export interface SnapshotAgent {
  code: string;
  name: string;
  status: AgentStatus;
  /** Variation answered while paused; null = the first variation. */
  pausedAt: string | null;
  metaKeys: string[];
  variations: SnapshotVariation[];
  conditions: SnapshotCondition[];
  /** Goals this agent tracks; null = tracks every goal. */
  goals: string[] | null;
  // ---- aiming (docs/targeting.md); absent on agents that use none of it ----
  /** Who takes part at all; absent = everyone. */
  eligibility?: Eligibility;
  /** The mutual-exclusion group the agent belongs to, and its share of the group. */
  exclusion?: Exclusion;
  /** Answers QA sessions only (others get no item); absent = everyone. */
  qaOnly?: true;
  /**
   * `adaptive`: random allocation uses `adaptiveWeights` (learned from results, policy `a`)
   * instead of the variations' weights. Absent = random with the variations' weights.
   */
  allocation?: 'adaptive';
  /** the latest learned weights by variation code, published with a configuration version */
  adaptiveWeights?: Record<string, number>;
}

// ---- aiming: richer clauses, eligibility, mutual exclusion (docs/targeting.md) ----------------

export const RULE_OPS = [
  'eq',
  'neq',
  'in',
  'contains',
  'startsWith',
  'lt',
  'lte',
  'gt',
  'gte',
  'exists',
  'notExists',
] as const;
export type RuleOp = (typeof RULE_OPS)[number];
export type RuleMatch = 'all' | 'any';

/** Built-in visitor facts a rule may test: `status` (new / returning), `weekday` (mon…sun, UTC), `hour` (0…23, UTC). */
export const VISITOR_FACTS = ['status', 'weekday', 'hour'] as const;
export type VisitorFact = (typeof VISITOR_FACTS)[number];

/**
 * A clause with an operator. Its subject is an input, a trait group (`cust/plan`, `ua/mo`: the
 * values the session holds for it) or a built-in visitor fact; `value` for the one-value
 * operators, `values` for `in`, neither for `exists` / `notExists`.
 */
export interface RuleClause {
  /** exactly one of input, trait, visitor */
  input?: string;
  trait?: string;
  visitor?: VisitorFact;
  op: RuleOp;
  value?: string;
  values?: string[];
}

export interface Eligibility {
  match: RuleMatch;
  rules: ConditionClause[];
}

export interface Exclusion {
  group: string;
  /** Relative share of the group's sessions (0 takes none). */
  weight: number;
}

export interface SnapshotGoal {
  code: string;
  name: string;
  /** Default value credited by a reward that gives none. */
  value: number;
}

export interface Snapshot {
  version: number;
  agents: Record<string, SnapshotAgent>;
  goals: Record<string, SnapshotGoal>;
  /** aiming: the account's custom visitor traits; absent when it defines none */
  traits?: SnapshotTrait[];
}

/** A custom visitor trait group: the session gets `cust/GROUP:VALUE` of the first rule that holds. */
export interface SnapshotTrait {
  group: string;
  rules: { value: string; when: ConditionClause[]; match?: RuleMatch }[];
}
