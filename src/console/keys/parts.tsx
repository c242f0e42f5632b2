/** The pieces the keys list and its dialogs share: markers, flags, last use, copy fields, buttons. */
import type { Children } from '@kitajs/html';
import { type ApiKey, type KeyDetails, secretsInGrace } from '../../keys/api-key.js';
import type { KeyUsage } from '../../keys/key-usage.js';
import type { KeyKind } from '../../keys/token.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import type { AccountContext } from '../kit/context.js';
import { formatTime } from '../kit/html.js';
import { EXPIRY_WARNING_MS, KIND_MARKERS, scriptTag, targetLabel, timeAgo, timeUntil } from './format.js';

export function KindMarker(props: { kind: KeyKind }): JSX.Element {
  const marker = KIND_MARKERS[props.kind];
  return (
    <span class={`marker marker-${props.kind}`} title={marker.title} safe>
      {marker.label}
    </span>
  );
}

/** Flags in the Name cell: expired or expiring soon, a previous secret still working, a rate limit. */
export function KeyFlags(props: { apiKey: KeyDetails; now: number }): JSX.Element {
  const { apiKey: key, now } = props;
  const inGrace = secretsInGrace(key.secrets, now);
  const graceEnd = Math.max(...inGrace.map((s) => s.validUntil ?? 0));
  return (
    <>
      {key.expiresAt !== null && key.expiresAt <= now ? (
        <span class="tag danger" safe>{`expired ${formatTime(key.expiresAt)}`}</span>
      ) : key.expiresAt !== null && key.expiresAt - now <= EXPIRY_WARNING_MS ? (
        <span class="tag warn" title={formatTime(key.expiresAt)} safe>
          {`expires ${timeUntil(key.expiresAt, now)}`}
        </span>
      ) : (
        ''
      )}
      {inGrace.length > 0 ? (
        <span class="tag warn" title={formatTime(graceEnd)} safe>
          {`previous secret works until ${formatTime(graceEnd)}`}
        </span>
      ) : (
        ''
      )}
      {key.rateLimit ? <span class="tag" safe>{`≤ ${key.rateLimit.perSecond} requests/s`}</span> : ''}
    </>
  );
}

export function LastUsed(props: {
  usage: KeyUsage | undefined;
  now: number;
  targets: Map<string, DeployTarget>;
}) {
  const lastUse = props.usage?.lastUse;
  if (!lastUse) return <span class="muted">never used</span>;
  const lastOn = `last on ${targetLabel(lastUse.deployTargetId, props.targets)}`;
  const lastDay = props.usage?.requests.lastDay ?? 0;
  return (
    <>
      <span class="line">
        <span title={formatTime(lastUse.at)} safe>{`used ${timeAgo(lastUse.at, props.now)}`}</span>
        <span class="muted" safe>{`, ${lastDay} ${lastDay === 1 ? 'request' : 'requests'} in 24 h`}</span>
      </span>
      <span class="line muted" title={lastOn} safe>
        {lastOn}
      </span>
    </>
  );
}

export function TargetNames(props: { apiKey: ApiKey; targets: Map<string, DeployTarget> }): JSX.Element {
  if (props.apiKey.deployTargets.length === 0) return <span class="all-targets">all</span>;
  return (
    <ul class="plain-list">
      {props.apiKey.deployTargets.map((id) => {
        const target = props.targets.get(id);
        return (
          <li>
            <span safe>{target?.name ?? id}</span>{' '}
            <code class="muted" safe>
              {id}
            </code>
          </li>
        );
      })}
    </ul>
  );
}

/** A value to copy: a read-only field (easy to select by hand too) and a Copy button. */
export function CopyField(props: {
  id: string;
  label: string;
  value: string;
  multiline?: boolean;
}): JSX.Element {
  return (
    <div class="copy-field">
      <label for={props.id} safe>
        {props.label}
      </label>
      <div class="copy-row">
        {props.multiline ? (
          <textarea id={props.id} class="mono" readonly rows="3" spellcheck="false" safe>
            {props.value}
          </textarea>
        ) : (
          <input id={props.id} class="mono" type="text" readonly value={props.value} spellcheck="false" />
        )}
        <button type="button" class="button" data-copy={`#${props.id}`}>
          Copy
        </button>
      </div>
      <span class="copy-status" role="status" data-copy-status-for={props.id}></span>
    </div>
  );
}

export function ScriptTags(props: {
  ctx: AccountContext;
  token: string;
  targets: DeployTarget[];
}): JSX.Element {
  const { ctx, token, targets } = props;
  if (targets.length === 0) {
    return <p class="hint">There is no JavaScript / On-Device deploy target to load yet.</p>;
  }
  return (
    <>
      {targets.map((t, i) => (
        <CopyField
          id={`script-tag-${i}`}
          label={`Script tag for ${t.name} (${t.id})`}
          value={scriptTag(ctx.origin, ctx.account.id, t.id, token)}
          multiline
        />
      ))}
    </>
  );
}

/** A row's button that opens one of the key's dialogs; the key's name is read out after the label. */
export function KeyDialogButton(props: {
  base: string;
  apiKey: ApiKey;
  dialog: string;
  id: string;
  /** the visible label */
  children: Children;
  /** what comes between the label and the name for a screen reader ("of ") */
  hint?: string;
  danger?: boolean;
}): JSX.Element {
  const { apiKey: key } = props;
  return (
    <button
      type="button"
      class={props.danger ? 'button small danger' : 'button small'}
      id={`${props.id}-${key.id}`}
      hx-get={`${props.base}/${key.id}/${props.dialog}`}
      hx-target="#modal"
    >
      {props.children}
      <span class="visually-hidden" safe>{` ${props.hint ?? ''}${key.name}`}</span>
    </button>
  );
}
