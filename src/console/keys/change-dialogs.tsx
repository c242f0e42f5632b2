/** The dialogs that change a key: Edit, Roll and Delete. */
import { type ApiKey, type KeyDetails, secretsInGrace, targetKindFor } from '../../keys/api-key.js';
import type { KeyUsage } from '../../keys/key-usage.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import { CancelButton, Dialog, FormError } from '../kit/dialog.js';
import { formatTime, plural } from '../kit/html.js';
import { GRACE_CHOICES, TARGET_KIND_LABELS, targetLabel, timeAgo, usedRecently } from './format.js';
import { expiryField } from './forms.js';
import { KindMarker } from './parts.js';

export function EditKeyDialog(props: {
  base: string;
  apiKey: ApiKey;
  targets: DeployTarget[];
  /** the key's expiry has passed: it stays expired (a new expiry is refused), so the form only shows it */
  expired: boolean;
}): JSX.Element {
  const { apiKey: key } = props;
  const kind = targetKindFor(key.kind);
  const ofKind = kind === null ? [] : props.targets.filter((t) => t.kind === kind);
  return (
    <Dialog id="edit-key" title={`Edit API key: ${key.name}`}>
      <form
        hx-post={`${props.base}/${key.id}/edit`}
        hx-target="#keys-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        <p>
          <KindMarker kind={key.kind} />{' '}
          <code class="masked" safe>
            {key.masked}
          </code>
        </p>
        <label for="edit-key-name">Name</label>
        <input id="edit-key-name" name="name" type="text" required maxlength="100" value={key.name} />
        {kind === null ? (
          <p class="hint">Admin keys work on the whole account; they have no deploy targets.</p>
        ) : (
          <fieldset aria-describedby="edit-key-targets-hint">
            <legend safe>{`Associated ${TARGET_KIND_LABELS[kind]} deploy targets`}</legend>
            <p class="hint" id="edit-key-targets-hint" safe>
              {`Choose the ${TARGET_KIND_LABELS[kind]} deploy targets this key works for; with any other, it gets 403 (Not Authorized). Leave all unchecked to let it work with every ${TARGET_KIND_LABELS[kind]} deploy target.`}
            </p>
            {ofKind.length === 0 ? (
              <p class="hint" safe>{`There is no ${TARGET_KIND_LABELS[kind]} deploy target yet.`}</p>
            ) : (
              ofKind.map((t) => (
                <label class="choice">
                  <input
                    type="checkbox"
                    name="deployTargets"
                    value={t.id}
                    checked={key.deployTargets.includes(t.id)}
                  />
                  <span>
                    <span safe>{t.name}</span>{' '}
                    <code class="muted" safe>
                      {t.id}
                    </code>
                  </span>
                </label>
              ))
            )}
          </fieldset>
        )}
        {key.kind === 'js' ? (
          <>
            <label for="edit-key-origins">
              Allowed origins{' '}
              <span class="hint" id="edit-key-origins-hint">
                (one per line, such as https://shop.example.com; empty: pages on any origin may send events
                with this key; others get 403)
              </span>
            </label>
            <textarea
              id="edit-key-origins"
              name="allowedOrigins"
              rows="3"
              maxlength="5000"
              aria-describedby="edit-key-origins-hint"
              safe
            >
              {key.allowedOrigins.join('\n')}
            </textarea>
          </>
        ) : null}
        {props.expired && key.expiresAt !== null ? (
          <>
            <p class="hint" id="edit-key-expired" safe>
              {`Expired ${formatTime(key.expiresAt)}. An expired key stays expired: create a new key to replace it.`}
            </p>
            {/* Sent back as shown, so saving a new name leaves the expiry as it is. */}
            <input type="hidden" name="expiresAt" value={expiryField(key.expiresAt)} />
          </>
        ) : (
          <>
            <label for="edit-key-expires">
              Expires <span class="hint">(UTC; empty: never)</span>
            </label>
            <input
              id="edit-key-expires"
              name="expiresAt"
              type="datetime-local"
              value={key.expiresAt === null ? '' : expiryField(key.expiresAt)}
            />
          </>
        )}
        <label for="edit-key-rate">
          Rate limit <span class="hint">(requests per second; empty: no limit; over it: 429)</span>
        </label>
        <input
          id="edit-key-rate"
          name="rateLimit"
          type="number"
          min="1"
          step="1"
          value={key.rateLimit ? String(key.rateLimit.perSecond) : ''}
        />
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

export function RollKeyDialog(props: { base: string; apiKey: KeyDetails; now: number }): JSX.Element {
  const { apiKey: key, now } = props;
  const inGrace = secretsInGrace(key.secrets, now);
  return (
    <Dialog id="roll-key" title={`Roll API key: ${key.name}`}>
      <p>
        Rolling gives this key a new secret. The key keeps its name, kind and deploy targets. Put the new
        secret in place, then let the previous one stop.
      </p>
      {key.kind === 'js' ? <p class="hint">Script tags carry the key: update them with the new one.</p> : ''}
      <form
        hx-post={`${props.base}/${key.id}/roll`}
        hx-target="#keys-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        <fieldset>
          <legend>The previous secret stops working</legend>
          {GRACE_CHOICES.map((choice) => (
            <label class="choice">
              <input
                type="radio"
                name="graceSeconds"
                value={String(choice.seconds)}
                checked={choice.seconds === 86_400}
              />
              <span safe>{choice.label}</span>
            </label>
          ))}
        </fieldset>
        {inGrace.length > 0 ? (
          <p class="hint">
            An earlier roll's previous secret still works; it stops no later than the new grace period ends.
          </p>
        ) : (
          ''
        )}
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Roll key
          </button>
        </div>
      </form>
      {inGrace.length > 0 ? (
        <form hx-post={`${props.base}/${key.id}/roll/end`} hx-target="#keys-panel" hx-swap="outerHTML">
          <FormError />
          <button type="submit" class="button danger">
            End grace period now
          </button>
        </form>
      ) : (
        ''
      )}
    </Dialog>
  );
}

export function DeleteKeyDialog(props: {
  base: string;
  apiKey: ApiKey;
  usage: KeyUsage | undefined;
  now: number;
  targets: Map<string, DeployTarget>;
}): JSX.Element {
  const { apiKey: key, usage, now } = props;
  const lastUse = usage?.lastUse ?? null;
  const recent = usedRecently(usage, now);
  return (
    <Dialog id="delete-key" title="Delete this API key?">
      <p>
        <strong safe>{key.name}</strong> <KindMarker kind={key.kind} />{' '}
        <code class="masked" safe>
          {key.masked}
        </code>
      </p>
      <div class="warning" role="note">
        <p>
          <strong>Make sure it's not in use</strong> in any code on your side: the key stops working at once,
          and every request that uses it gets 403 (Not Authorized) right away.
        </p>
        {key.kind === 'js' ? (
          <p>
            Script tags that load with it will get "Not Found" or "Not Authorized" instead of the JS content.
          </p>
        ) : (
          ''
        )}
        <p>There is no way to re-create an API key once deleted.</p>
      </div>
      {lastUse === null ? (
        <p class="hint">Tessera has seen no request with this key.</p>
      ) : (
        <p safe>
          {`Last used ${timeAgo(lastUse.at, now)} (${formatTime(lastUse.at)}) on ${targetLabel(lastUse.deployTargetId, props.targets)}${lastUse.clientAddress ? ` from ${lastUse.clientAddress}` : ''}; ${plural(usage?.requests.lastDay ?? 0, 'request')} in the last 24 hours.`}
        </p>
      )}
      <form
        hx-post={`${props.base}/${key.id}/delete`}
        hx-target="#keys-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        {recent ? (
          <>
            <label for="delete-key-confirm">
              This key was used in the last 24 hours. Type its name, <strong safe>{key.name}</strong>, to
              delete it:
            </label>
            <input id="delete-key-confirm" name="confirm" type="text" required autocomplete="off" />
          </>
        ) : (
          ''
        )}
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep the key" />
          <button type="submit" class="button danger">
            Delete API key
          </button>
        </div>
      </form>
    </Dialog>
  );
}
