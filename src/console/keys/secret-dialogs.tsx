/** The dialogs that show a key's secret or script tags: a new key or secret, and a JS key's tags. */
import type { ApiKey } from '../../keys/api-key.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import type { AccountContext } from '../kit/context.js';
import { CancelButton, Dialog, FormError } from '../kit/dialog.js';
import { formatTime } from '../kit/html.js';
import { allowedTargets, KIND_MARKERS } from './format.js';
import { CopyField, ScriptTags } from './parts.js';

export function NewAdminKeyDialog(props: { base: string }): JSX.Element {
  return (
    <Dialog id="new-admin" title="New Admin Key">
      <form hx-post={props.base} hx-target="#keys-panel" hx-swap="outerHTML" class="stack">
        <fieldset>
          <legend>Access level</legend>
          <label class="choice">
            <input type="radio" name="kind" value="admin-read" checked />
            <span>
              <strong>Reports and List Agents (read-only)</strong>
              <span class="hint">
                Gets information such as the list of agents or reporting data; can't make changes.
              </span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="kind" value="admin-author" />
            <span>
              <strong>Agent Author / Admin</strong>
              <span class="hint">Creates or changes agents and goals, and deploys them.</span>
            </span>
          </label>
        </fieldset>
        <label for="new-admin-name">
          Name <span class="hint">(optional)</span>
        </label>
        <input id="new-admin-name" name="name" type="text" maxlength="100" placeholder="Admin key" />
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

export function NewSecretDialog(props: {
  ctx: AccountContext;
  apiKey: ApiKey;
  secret: string;
  targets: DeployTarget[];
  /** a roll: when the previous secret stops working */
  previousValidUntil?: number;
  /** the roll gave the previous secret no grace */
  previousEndsNow?: boolean;
}): JSX.Element {
  const { ctx, apiKey: key, secret, previousValidUntil, previousEndsNow } = props;
  const marker = KIND_MARKERS[key.kind].label;
  const title =
    previousValidUntil === undefined ? `New ${marker} key: ${key.name}` : `New secret for ${key.name}`;
  const example =
    key.kind === 'rest'
      ? `curl -H 'Authorization: Bearer ${secret}' -H 'Content-Type: application/json' -d '{"commands":[{"a":"a-example"}]}' ${ctx.origin}/${ctx.account.id}/v3/agent-api`
      : key.kind === 'js'
        ? null
        : `curl -H 'Authorization: Bearer ${secret}' ${ctx.origin}/admin/${ctx.account.id}/agents`;
  return (
    <Dialog id="new-key" title={title} wide>
      {previousValidUntil === undefined ? (
        ''
      ) : (
        <p safe>
          {previousEndsNow
            ? 'Same key, same name, kind and deploy targets; a new secret. The previous secret no longer works: requests made with it are refused as expired. Put the new one in place now.'
            : `Same key, same name, kind and deploy targets; a new secret. The previous secret works until ${formatTime(previousValidUntil)}, then requests made with it are refused as expired: put the new one in place before then.`}
        </p>
      )}
      {key.kind === 'js' ? (
        <p>
          This key is public by nature: it appears in your pages' script tags, so you can show it again from
          the list (<strong>Script tag</strong>).
        </p>
      ) : (
        <p class="warning" role="note">
          <strong>Copy this key now. It will not be shown again.</strong> Tessera keeps only a fingerprint of
          it; if you lose it, create a new key.
        </p>
      )}
      <CopyField id="new-key-secret" label="API key" value={secret} />
      {key.kind === 'js' ? (
        <>
          <h3>Ready-to-paste script tags</h3>
          <ScriptTags ctx={ctx} token={secret} targets={allowedTargets(key, props.targets)} />
        </>
      ) : (
        ''
      )}
      {example === null ? '' : <CopyField id="new-key-example" label="Try it" value={example} multiline />}
      <div class="dialog-actions">
        <button type="button" class="button primary" data-close-dialog>
          Done
        </button>
      </div>
    </Dialog>
  );
}

export function ScriptTagsDialog(props: {
  ctx: AccountContext;
  apiKey: ApiKey;
  targets: DeployTarget[];
}): JSX.Element {
  const { apiKey: key } = props;
  return (
    <Dialog id="script-tags" title={`Script tags: ${key.name}`} wide>
      <CopyField
        id="js-key-token"
        label="API key (public: it is part of the script tag)"
        value={key.publicToken ?? ''}
      />
      <ScriptTags
        ctx={props.ctx}
        token={key.publicToken ?? ''}
        targets={allowedTargets(key, props.targets)}
      />
      <div class="dialog-actions">
        <button type="button" class="button primary" data-close-dialog>
          Done
        </button>
      </div>
    </Dialog>
  );
}
