/** The deploy target forms. */
import { z } from 'zod';
import { DEPLOY_MODES, DEPLOY_TARGET_KINDS, VISITOR_STORAGES } from '../../targets/deploy-targets.js';
import { AccountParams } from '../kit/params.js';

export const TargetParams = AccountParams.extend({ dt: z.string().min(1).max(64) });
const FormName = z.string().trim().min(1, 'Name: must not be empty').max(100, 'Name: at most 100 characters');

export const NewTargetForm = z.object({
  name: FormName,
  kind: z.enum(DEPLOY_TARGET_KINDS),
  deployMode: z.enum(DEPLOY_MODES).default('automatic'),
});

export const EditTargetForm = z.object({
  name: FormName,
  deployMode: z.enum(DEPLOY_MODES),
  // a checkbox: sent as "on" when ticked, absent when not
  honourPrivacySignals: z
    .literal('on')
    .optional()
    .transform((ticked) => ticked === 'on'),
  // JS targets only (a REST target's dialog has neither field); the domain is checked by the service
  visitorStorage: z.enum(VISITOR_STORAGES).optional(),
  cookieDomain: z.string().max(253, 'Cookie domain: at most 253 characters').optional(),
});
