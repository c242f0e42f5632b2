/** The goal dialogs: New Goal and Edit (one form), and Delete. */
import type { Goal } from '../../agents/goals.js';
import { CancelButton, Dialog, FormError } from '../kit/dialog.js';

export function GoalDialog(props: { base: string; goal?: Goal }): JSX.Element {
  const { goal } = props;
  return (
    <Dialog id="goal-dialog" title={goal ? `Edit goal: ${goal.code}` : 'New Goal'}>
      <form
        hx-post={goal ? `${props.base}/${goal.code}` : props.base}
        hx-target="#goals-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        {goal ? (
          ''
        ) : (
          <>
            <label for="goal-code">Code</label>
            <input
              id="goal-code"
              name="code"
              type="text"
              required
              maxlength="100"
              pattern="g-[A-Za-z0-9_\-]+"
              placeholder="g-signed-up"
            />
          </>
        )}
        <label for="goal-name">Name</label>
        <input id="goal-name" name="name" type="text" maxlength="100" value={goal?.name} />
        <label for="goal-value">Default value</label>
        <input id="goal-value" name="value" type="number" step="any" value={String(goal?.value ?? 1)} />
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            {goal ? 'Save' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function DeleteGoalDialog(props: { base: string; goal: Goal }): JSX.Element {
  return (
    <Dialog id="delete-goal" title="Delete this goal?">
      <p>
        <strong safe>{props.goal.name}</strong> <code safe>{props.goal.code}</code>
      </p>
      <p class="warning" role="note">
        Rewards for it will credit nothing once deployed. Its past conversions stay in reports.
      </p>
      <form hx-post={`${props.base}/${props.goal.code}/delete`} hx-target="#goals-panel" hx-swap="outerHTML">
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep it" />
          <button type="submit" class="button danger">
            Delete goal
          </button>
        </div>
      </form>
    </Dialog>
  );
}
