/** A deploy target as answered (its list, its settings, and "Deploy now"). */
import { z } from 'zod';
import {
  DEPLOY_MODES,
  DEPLOY_TARGET_KINDS,
  type DeployTarget,
  VISITOR_STORAGES,
} from '../../targets/deploy-targets.js';
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
  visitorStorage: z
    .enum(VISITOR_STORAGES)
    .describe(
      "JS targets: where the script keeps the visitor's state: localStorage (one host name) or a first-party cookie (shared by subdomains when cookieDomain is set); decisions are the same either way",
    ),
  cookieDomain: z
    .string()
    .nullable()
    .describe(
      "JS targets with cookie storage: the cookie's Domain, e.g. example.com; null: the page's host name",
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
    visitorStorage: target.visitorStorage,
    cookieDomain: target.cookieDomain,
  };
}
