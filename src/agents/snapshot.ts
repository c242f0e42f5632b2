/**
 * The immutable, deployed configuration that the runtime decision engine reads.
 *
 * A snapshot is what a deploy target serves: every agent and goal of the account as they were
 * when the target was last deployed. It is plain JSON (it is also shipped to browsers in the
 * script tag and to native apps as the bundle), so it holds no classes, dates or maps.
 */

export type AgentStatus = 'running' | 'paused' | 'stopped' | 'archived';

export interface SnapshotVariation {
  code: string;
  name?: string;
  /** Relative weight for random allocation; 0 keeps the variation out of it (a condition may still choose it). */
  weight: number;
  meta: Record<string, string>;
}

/** One clause of a condition: an input equals a value, or the session has a trait (e.g. `cust/F:1`, `ua/mo:y`). */
export type ConditionClause = { input: string; is: string } | { trait: string };

export interface SnapshotCondition {
  /** All clauses must hold; an empty list always holds. */
  when: ConditionClause[];
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
  /**
   * `adaptive`: random allocation uses `adaptiveWeights` (learned from results, policy `a`)
   * instead of the variations' weights. Absent = random with the variations' weights.
   */
  allocation?: 'adaptive';
  /** the latest learned weights by variation code, published with a configuration version */
  adaptiveWeights?: Record<string, number>;
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
}
