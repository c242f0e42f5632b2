/** The deploy target dialogs: New Deploy Target, Edit and Delete. */
import {
  DEPLOY_MODES,
  DEPLOY_TARGET_KINDS,
  type DeployTarget,
  VISITOR_STORAGES,
} from '../../targets/deploy-targets.js';
import { CancelButton, Dialog, FormError } from '../kit/dialog.js';
import { MODES, TARGET_KINDS, VISITOR_STORAGE } from './labels.js';

function ModeChoice(props: { current: string }): JSX.Element {
  return (
    <fieldset>
      <legend>Deploy mode</legend>
      {DEPLOY_MODES.map((mode) => (
        <label class="choice">
          <input type="radio" name="deployMode" value={mode} checked={props.current === mode} />
          <span>{MODES[mode]}</span>
        </label>
      ))}
    </fieldset>
  );
}

/** Where a JS target's script keeps visitors; the domain field shows only for the cookie. */
function StorageChoice(props: { target: DeployTarget }): JSX.Element {
  const { target } = props;
  return (
    <fieldset class="storage-choice">
      <legend>Visitor storage</legend>
      {VISITOR_STORAGES.map((storage) => (
        <label class="choice">
          <input
            type="radio"
            name="visitorStorage"
            value={storage}
            checked={target.visitorStorage === storage}
          />
          <span>
            {VISITOR_STORAGE[storage].label} <span class="hint">{VISITOR_STORAGE[storage].hint}</span>
          </span>
        </label>
      ))}
      <div class="cookie-domain stack">
        <label for="edit-target-cookie-domain">Cookie domain</label>
        <input
          id="edit-target-cookie-domain"
          name="cookieDomain"
          type="text"
          maxlength="253"
          placeholder="example.com"
          value={target.cookieDomain ?? ''}
        />
        <span class="hint">
          the parent domain whose subdomains share the visitor (www.example.com and shop.example.com:
          example.com); empty: the page's own host name
        </span>
      </div>
    </fieldset>
  );
}

export function NewTargetDialog(props: { base: string }): JSX.Element {
  return (
    <Dialog id="new-target-dialog" title="New Deploy Target">
      <form hx-post={props.base} hx-target="#targets-panel" hx-swap="outerHTML" class="stack">
        <label for="new-target-name">Name</label>
        <input id="new-target-name" name="name" type="text" required maxlength="100" placeholder="Staging" />
        <fieldset>
          <legend>Kind</legend>
          {DEPLOY_TARGET_KINDS.map((kind, i) => (
            <label class="choice">
              <input type="radio" name="kind" value={kind} checked={i === 0} />
              <span>{kind === 'rest' ? 'REST API' : 'JavaScript and On-Device'}</span>
            </label>
          ))}
        </fieldset>
        <ModeChoice current="automatic" />
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function EditTargetDialog(props: { base: string; target: DeployTarget }): JSX.Element {
  const { target } = props;
  return (
    <Dialog id="edit-target" title={`Edit deploy target: ${target.name}`}>
      <form
        hx-post={`${props.base}/${target.id}/edit`}
        hx-target="#targets-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        <p>
          <span>{TARGET_KINDS[target.kind]}</span> <code safe>{target.id}</code>
        </p>
        <label for="edit-target-name">Name</label>
        <input id="edit-target-name" name="name" type="text" required maxlength="100" value={target.name} />
        <ModeChoice current={target.deployMode} />
        {target.kind === 'js' ? (
          <label class="choice">
            <input type="checkbox" name="honourPrivacySignals" checked={target.honourPrivacySignals} />
            <span>
              Honour Do-Not-Track and Global Privacy Control{' '}
              <span class="hint">
                visitors who send either get the paused-at (or first) variation and are neither counted nor
                stored
              </span>
            </span>
          </label>
        ) : (
          ''
        )}
        {target.kind === 'js' ? <StorageChoice target={target} /> : ''}
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function DeleteTargetDialog(props: { base: string; target: DeployTarget }): JSX.Element {
  const { target } = props;
  return (
    <Dialog id="delete-target" title="Delete this deploy target?">
      <p>
        <strong safe>{target.name}</strong> <code safe>{target.id}</code>
      </p>
      <p class="warning" role="note">
        Requests to it will fail at once. API keys associated with it must be edited first.
      </p>
      <form hx-post={`${props.base}/${target.id}/delete`} hx-target="#targets-panel" hx-swap="outerHTML">
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep it" />
          <button type="submit" class="button danger">
            Delete deploy target
          </button>
        </div>
      </form>
    </Dialog>
  );
}
