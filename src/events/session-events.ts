/**
 * What the event tables hold about given sessions: their stored visitor states (opaque text, the
 * runtime's to parse) and their counted selections and rewards, each read in one statement.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface SessionRef {
  accountId: string;
  session: string;
}

export async function selectVisitorStates(
  db: Kysely<Database>,
  refs: readonly SessionRef[],
): Promise<Array<SessionRef & { state: string }>> {
  const rows = await db
    .selectFrom('visitors')
    .select(['account_id', 'session', 'state'])
    .where(({ eb, refTuple, tuple }) =>
      eb(
        refTuple('account_id', 'session'),
        'in',
        refs.map((ref) => tuple(ref.accountId, ref.session)),
      ),
    )
    .execute();
  return rows.map((row) => ({ accountId: row.account_id, session: row.session, state: row.state }));
}

export interface CountedEvents {
  /** in the order they were counted */
  selections: Array<SessionRef & { agent: string; variation: string }>;
  rewards: Array<SessionRef & { agent: string; goal: string }>;
}

export async function selectCountedEvents(
  db: Kysely<Database>,
  refs: readonly SessionRef[],
): Promise<CountedEvents> {
  const sessions = ({
    eb,
    refTuple,
    tuple,
  }: ExpressionBuilder<Database, 'selection_events' | 'reward_events'>) =>
    eb(
      refTuple('account_id', 'session'),
      'in',
      refs.map((ref) => tuple(ref.accountId, ref.session)),
    );
  const [selections, rewards] = await Promise.all([
    db
      .selectFrom('selection_events')
      .select(['account_id', 'session', 'agent', 'variation'])
      .where(sessions)
      // In the order they were counted: selections recovered for a session are listed so in its
      // rewards' `rs`, as its own are.
      .orderBy('at')
      .orderBy('agent')
      .execute(),
    db
      .selectFrom('reward_events')
      .select(['account_id', 'session', 'agent', 'goal'])
      .where(sessions)
      .execute(),
  ]);
  return {
    selections: selections.map((r) => ({
      accountId: r.account_id,
      session: r.session,
      agent: r.agent,
      variation: r.variation,
    })),
    rewards: rewards.map((r) => ({
      accountId: r.account_id,
      session: r.session,
      agent: r.agent,
      goal: r.goal,
    })),
  };
}

/** Deletes a session's stored visitor state (a QA session starting afresh); its events stay. */
export async function deleteVisitorState(db: Kysely<Database>, ref: SessionRef): Promise<void> {
  await db
    .deleteFrom('visitors')
    .where('account_id', '=', ref.accountId)
    .where('session', '=', ref.session)
    .execute();
}
