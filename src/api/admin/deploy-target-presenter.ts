/** A deploy target as answered (its list, its settings, and "Deploy now"). */
import { z } from 'zod';
import { DEPLOY_MODES, DEPLOY_TARGET_KINDS, type DeployTarget } from '../../targets/deploy-targets.js';
import { IsoTime, iso, NullableIsoTime } from '../../web/schemas.js';

export const DeployTargetRecord = z.object({
  code: z.string(),
  name: z.string(),
  kind: z.enum(DEPLOY_TARGET_KINDS),
  deployMode: z.enum(DEPLOY_MODES),
  isDefault: z.boolean(),
  deployedVersion: z.number().nullable().describe('null: nothing deployed yet'),
  deployedAt: NullableIsoTime,
  createdAt: IsoTime,
  honourPrivacySignals: z
    .boolean()
    .describe(
      'JS targets: visitors whose browser sends Do-Not-Track or Global Privacy Control get the paused-at (or first) variation and are neither counted nor stored',
    ),
});

export function deployTargetRecord(target: DeployTarget): z.input<typeof DeployTargetRecord> {
  return {
    code: target.id,
    name: target.name,
    kind: target.kind,
    deployMode: target.deployMode,
    isDefault: target.isDefault,
    deployedVersion: target.deployedVersion,
    deployedAt: iso(target.deployedAt),
    createdAt: iso(target.createdAt),
    honourPrivacySignals: target.honourPrivacySignals,
  };
}
