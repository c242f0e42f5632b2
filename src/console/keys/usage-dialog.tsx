/** Usage: a key's last use, its requests per deploy target and per secret, and its refusals. */
import { type KeyDetails, secretsInGrace } from '../../keys/api-key.js';
import type { KeyUsage, UsageWindows } from '../../keys/key-usage.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import { Dialog, FormError } from '../kit/dialog.js';
import { formatTime } from '../kit/html.js';
import { targetLabel, timeAgo } from './format.js';

function Windows(props: { figures: UsageWindows }): JSX.Element {
  const { figures } = props;
  return (
    <>
      <td class="num" data-label="Last hour" safe>
        {String(figures.lastHour)}
      </td>
      <td class="num" data-label="Last day" safe>
        {String(figures.lastDay)}
      </td>
      <td class="num" data-label="Last 30 days" safe>
        {String(figures.last30Days)}
      </td>
    </>
  );
}

/** The three window columns' heads. */
function WindowHeads(): JSX.Element {
  return (
    <>
      <th scope="col" class="num">
        Last hour
      </th>
      <th scope="col" class="num">
        Last day
      </th>
      <th scope="col" class="num">
        Last 30 days
      </th>
    </>
  );
}

export function UsageDialog(props: {
  base: string;
  apiKey: KeyDetails;
  usage: KeyUsage | undefined;
  now: number;
  targets: Map<string, DeployTarget>;
}): JSX.Element {
  const { apiKey: key, usage, now, targets } = props;
  const lastUse = usage?.lastUse ?? null;
  const used = new Map((usage?.bySecret ?? []).map((s) => [s.generation, s]));
  const current = key.secrets[0]?.generation ?? 1;
  const secrets = key.secrets.filter(
    (s) => s.generation === current || used.has(s.generation) || (s.validUntil ?? 0) > now,
  );
  const inGrace = secretsInGrace(key.secrets, now);
  return (
    <Dialog id="key-usage" title={`Usage: ${key.name}`} wide>
      {lastUse === null ? (
        <p>Tessera has seen no request with this key in the last 30 days.</p>
      ) : (
        <dl class="facts">
          <dt>Last used</dt>
          <dd safe>{`${timeAgo(lastUse.at, now)} (${formatTime(lastUse.at)})`}</dd>
          <dt>Deploy target</dt>
          <dd safe>{targetLabel(lastUse.deployTargetId, targets)}</dd>
          <dt>Client address</dt>
          <dd safe>{lastUse.clientAddress ?? 'unknown'}</dd>
          <dt>User agent</dt>
          <dd safe>{lastUse.userAgent ?? 'none sent'}</dd>
        </dl>
      )}
      <h3>Requests by deploy target</h3>
      {(usage?.byDeployTarget.length ?? 0) === 0 ? (
        <p class="hint">No accepted request in the last 30 days.</p>
      ) : (
        <table class="table keep-table">
          <thead>
            <tr>
              <th scope="col">Deploy target</th>
              <WindowHeads />
            </tr>
          </thead>
          <tbody>
            {(usage?.byDeployTarget ?? []).map((t) => (
              <tr>
                <th scope="row" safe>
                  {targetLabel(t.deployTargetId, targets)}
                </th>
                <Windows figures={t} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Requests by secret</h3>
      <p class="hint">
        After a roll, this shows whether the previous secret is still being used before its grace period ends.
      </p>
      <table class="table keep-table">
        <thead>
          <tr>
            <th scope="col">Secret</th>
            <th scope="col">State</th>
            <th scope="col">Last used</th>
            <WindowHeads />
          </tr>
        </thead>
        <tbody>
          {secrets.map((s) => {
            const figures = used.get(s.generation);
            const state =
              s.generation === current
                ? 'current'
                : s.validUntil !== null && s.validUntil > now
                  ? `previous: works until ${formatTime(s.validUntil)}`
                  : 'previous: no longer works';
            return (
              <tr>
                <th scope="row">
                  <code class="masked" safe>
                    {s.masked}
                  </code>
                </th>
                <td safe>{state}</td>
                <td>{figures?.lastUsedAt ? timeAgo(figures.lastUsedAt, now) : 'never'}</td>
                <Windows figures={figures ?? { lastHour: 0, lastDay: 0, last30Days: 0 }} />
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>Refused requests</h3>
      {(usage?.refused.length ?? 0) === 0 ? (
        <p class="hint">None in the last 30 days.</p>
      ) : (
        <table class="table keep-table">
          <thead>
            <tr>
              <th scope="col">Reason</th>
              <WindowHeads />
            </tr>
          </thead>
          <tbody>
            {(usage?.refused ?? []).map((r) => (
              <tr>
                <th scope="row">
                  <code safe>{r.reason}</code>
                </th>
                <Windows figures={r} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="dialog-actions">
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
        <button type="button" class="button primary" data-close-dialog>
          Done
        </button>
      </div>
    </Dialog>
  );
}
