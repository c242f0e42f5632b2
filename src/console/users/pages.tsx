/** Settings > Users (Account Admins): the people of the account, their roles, Remove. */
import { ROLE_LABELS, ROLES, type Role } from '../../access/permissions.js';
import type { Member } from '../../accounts/users.js';
import type { AccountContext } from '../kit/context.js';
import { CONSOLE, formatTime } from '../kit/html.js';
import { AccountPage, SettingsTabs } from '../kit/layout.js';

export function RoleOptions(props: { current: Role }): JSX.Element {
  return (
    <>
      {ROLES.map((role) => (
        <option value={role} selected={role === props.current} safe>
          {ROLE_LABELS[role]}
        </option>
      ))}
    </>
  );
}

export function UsersPanel(props: {
  ctx: AccountContext;
  members: Member[];
  highlight?: string;
}): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/users`;
  return (
    <div id="users-panel">
      <table class="table">
        <caption class="visually-hidden">People of this account</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) => (
            <tr id={`user-${m.id}`} class={m.id === props.highlight ? 'highlight' : undefined}>
              <th scope="row" data-label="Email">
                <span safe>{m.email}</span>
                {m.id === ctx.user.id ? <span class="tag">you</span> : ''}
              </th>
              <td data-label="Role">
                <form
                  class="inline-form"
                  hx-post={`${base}/${m.id}/role`}
                  hx-target="#users-panel"
                  hx-swap="outerHTML"
                >
                  <label for={`role-${m.id}`} class="visually-hidden" safe>
                    {`Role of ${m.email}`}
                  </label>
                  <select id={`role-${m.id}`} name="role">
                    <RoleOptions current={m.role} />
                  </select>
                  <button type="submit" class="button small">
                    Change role<span class="visually-hidden" safe>{` of ${m.email}`}</span>
                  </button>
                </form>
              </td>
              <td data-label="Added" safe>
                {formatTime(m.createdAt)}
              </td>
              <td class="row-actions">
                <button
                  type="button"
                  class="button small danger"
                  id={`remove-user-${m.id}`}
                  hx-get={`${base}/${m.id}/remove`}
                  hx-target="#modal"
                >
                  Remove<span class="visually-hidden" safe>{` ${m.email}`}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function UsersPage(props: {
  ctx: AccountContext;
  members: Member[];
  modal?: JSX.Element;
}): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/users`;
  return (
    <AccountPage ctx={ctx} title="Users" modal={props.modal}>
      <h1>Settings</h1>
      <SettingsTabs ctx={ctx} />
      <section aria-labelledby="users-title">
        <div class="section-head">
          <h2 id="users-title">Users</h2>
          <div class="actions">
            <button
              type="button"
              class="button primary"
              id="new-user"
              hx-get={`${base}/new`}
              hx-target="#modal"
            >
              Add User
            </button>
          </div>
        </div>
        <p class="intro">
          <strong>View Reports</strong> reads agents, goals and reports. <strong>Agent Author</strong> also
          changes agents and goals. <strong>Agent Admin</strong> also deploys. <strong>Account Admin</strong>{' '}
          also manages API keys, deploy targets and users.
        </p>
        <UsersPanel ctx={ctx} members={props.members} />
      </section>
    </AccountPage>
  );
}
