/**
 * Settings > Deploy Targets: everyone reads; Account Admins create, rename, change the deploy mode
 * and delete; Agent Admins and Account Admins "Deploy now".
 */
import type { DeployTarget } from '../../targets/deploy-targets.js';
import type { AccountContext } from '../kit/context.js';
import { CONSOLE, formatTime } from '../kit/html.js';
import { AccountPage, SettingsTabs } from '../kit/layout.js';
import { TARGET_KINDS } from './labels.js';

export function TargetsPanel(props: {
  ctx: AccountContext;
  targets: DeployTarget[];
  currentVersion: number;
  highlight?: string;
}): JSX.Element {
  const { ctx, currentVersion } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/deploy-targets`;
  const showActions = ctx.can('deploy') || ctx.can('manage');
  return (
    <div id="targets-panel">
      <p class="hint" safe>
        {`Current configuration of agents and goals: version ${currentVersion}.`}
      </p>
      <table class="table">
        <caption class="visually-hidden">Deploy targets of this account</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Deploy mode</th>
            <th scope="col">Last deployment</th>
            {showActions ? (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            ) : (
              ''
            )}
          </tr>
        </thead>
        <tbody>
          {props.targets.map((t) => {
            const behind = t.deployedVersion === null || t.deployedVersion < currentVersion;
            return (
              <tr id={`target-${t.id}`} class={t.id === props.highlight ? 'highlight' : undefined}>
                <th scope="row" data-label="Name">
                  <span safe>{t.name}</span>{' '}
                  <code class="muted" safe>
                    {t.id}
                  </code>
                  {t.isDefault ? <span class="tag">default</span> : ''}
                </th>
                <td data-label="Kind">{TARGET_KINDS[t.kind]}</td>
                <td data-label="Deploy mode">{t.deployMode === 'automatic' ? 'Automatic' : 'Manual'}</td>
                <td data-label="Last deployment">
                  {t.deployedVersion === null ? (
                    <span class="muted">Nothing deployed yet</span>
                  ) : (
                    <>
                      <span safe>{`Version ${t.deployedVersion}`}</span>
                      <br />
                      <span class="muted" safe>
                        {formatTime(t.deployedAt)}
                      </span>
                    </>
                  )}
                  {behind && currentVersion > 0 ? <span class="tag warn">changes waiting</span> : ''}
                </td>
                {showActions ? (
                  <td class="row-actions">
                    {ctx.can('deploy') ? (
                      <form hx-post={`${base}/${t.id}/deploy`} hx-target="#targets-panel" hx-swap="outerHTML">
                        <button type="submit" class="button small primary">
                          Deploy now<span class="visually-hidden" safe>{` to ${t.name}`}</span>
                        </button>
                      </form>
                    ) : (
                      ''
                    )}
                    {ctx.can('manage') ? (
                      <>
                        <button
                          type="button"
                          class="button small"
                          id={`edit-target-${t.id}`}
                          hx-get={`${base}/${t.id}/edit`}
                          hx-target="#modal"
                        >
                          Edit<span class="visually-hidden" safe>{` ${t.name}`}</span>
                        </button>
                        {t.isDefault ? (
                          ''
                        ) : (
                          <button
                            type="button"
                            class="button small danger"
                            id={`delete-target-${t.id}`}
                            hx-get={`${base}/${t.id}/delete`}
                            hx-target="#modal"
                          >
                            Delete<span class="visually-hidden" safe>{` ${t.name}`}</span>
                          </button>
                        )}
                      </>
                    ) : (
                      ''
                    )}
                  </td>
                ) : (
                  ''
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function TargetsPage(props: {
  ctx: AccountContext;
  targets: DeployTarget[];
  currentVersion: number;
  modal?: JSX.Element;
}): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/deploy-targets`;
  return (
    <AccountPage ctx={ctx} title="Deploy Targets" modal={props.modal}>
      <h1>Settings</h1>
      <SettingsTabs ctx={ctx} />
      <section aria-labelledby="targets-title">
        <div class="section-head">
          <h2 id="targets-title">Deploy Targets</h2>
          {ctx.can('manage') ? (
            <div class="actions">
              <button
                type="button"
                class="button primary"
                id="new-target"
                hx-get={`${base}/new`}
                hx-target="#modal"
              >
                New Deploy Target
              </button>
            </div>
          ) : (
            ''
          )}
        </div>
        <p class="intro">
          Agents run on deploy targets: <em>REST API</em> targets answer the runtime API,{' '}
          <em>JS / On-Device</em> targets serve the script tag and native bundles. Each serves the
          configuration it was last deployed with.
        </p>
        <TargetsPanel ctx={ctx} targets={props.targets} currentVersion={props.currentVersion} />
      </section>
    </AccountPage>
  );
}
