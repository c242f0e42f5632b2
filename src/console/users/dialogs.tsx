/** The people dialogs: Add User and Remove. */
import { ROLE_LABELS } from '../../access/permissions.js';
import type { Member } from '../../accounts/users.js';
import { CancelButton, Dialog, FormError } from '../kit/dialog.js';
import { RoleOptions } from './pages.js';

export function NewUserDialog(props: { base: string }): JSX.Element {
  return (
    <Dialog id="new-user-dialog" title="Add User">
      <form hx-post={props.base} hx-target="#users-panel" hx-swap="outerHTML" class="stack">
        <label for="new-user-email">Email</label>
        <input id="new-user-email" name="email" type="email" required maxlength="254" autocomplete="off" />
        <label for="new-user-password">
          Password{' '}
          <span class="hint">(at least 10 characters; not needed for someone who already has a login)</span>
        </label>
        <input
          id="new-user-password"
          name="password"
          type="password"
          autocomplete="new-password"
          maxlength="1024"
        />
        <label for="new-user-role">Role</label>
        <select id="new-user-role" name="role">
          <RoleOptions current="view-reports" />
        </select>
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Add User
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function RemoveUserDialog(props: { base: string; member: Member }): JSX.Element {
  const { member } = props;
  return (
    <Dialog id="remove-user" title="Remove this person from the account?">
      <p>
        <strong safe>{member.email}</strong> <span safe>{`(${ROLE_LABELS[member.role]})`}</span>
      </p>
      <p class="warning" role="note">
        They lose access to this account at once, including any page they have open.
      </p>
      <form hx-post={`${props.base}/${member.id}/remove`} hx-target="#users-panel" hx-swap="outerHTML">
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep them" />
          <button type="submit" class="button danger">
            Remove
          </button>
        </div>
      </form>
    </Dialog>
  );
}
