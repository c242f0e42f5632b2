/** What the API keys screen says about keys: their kinds, ages, targets and script tags, as text. */
import { type ApiKey, targetKindFor } from '../../keys/api-key.js';
import { RECENT_USE_MS } from '../../keys/key-service.js';
import type { KeyUsage } from '../../keys/key-usage.js';
import type { KeyKind } from '../../keys/token.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';

/** Keys expiring this soon are flagged in the list. */
export const EXPIRY_WARNING_MS = 7 * 24 * 60 * 60 * 1000;

/** The grace periods offered when rolling a key, in seconds. */
export const GRACE_CHOICES: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'Now: the current secret stops working at once' },
  { seconds: 3600, label: 'In 1 hour' },
  { seconds: 86_400, label: 'In 24 hours' },
  { seconds: 7 * 86_400, label: 'In 7 days' },
];

/** "3 min ago", "2 h ago", "5 days ago": how long since `at`. */
export function timeAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** "in 3 days", "in 5 h": how long until `at`. */
export function timeUntil(at: number, now: number): string {
  const minutes = Math.max(1, Math.round((at - now) / 60_000));
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} days`;
}

export const usedRecently = (usage: KeyUsage | undefined, now: number) =>
  usage?.lastUse != null && now - usage.lastUse.at < RECENT_USE_MS;

export function targetLabel(id: string | null, targets: Map<string, DeployTarget>): string {
  if (id === null) return 'no deploy target (Admin API)';
  const target = targets.get(id);
  return target ? `${target.name} (${id})` : id;
}

export const KIND_MARKERS: Record<KeyKind, { label: string; title: string }> = {
  rest: { label: 'REST API', title: 'Runtime key for the REST API' },
  js: { label: 'JS / On-Device', title: 'Runtime key for the script tag and on-device (native) use' },
  // The access levels in the words people know them by (spec section 2).
  'admin-read': {
    label: 'Admin: Reports and List Agents (read-only)',
    title: 'Admin API key: reads agents, goals, deploy targets and reports',
  },
  'admin-author': {
    label: 'Admin: Agent Author / Admin',
    title: 'Admin API key: reads, and changes and deploys agents and goals',
  },
};

export const DEFAULT_NAMES: Record<KeyKind, string> = {
  rest: 'REST API key',
  js: 'JS / On-Device key',
  'admin-read': 'Admin key (read-only)',
  'admin-author': 'Admin key (author)',
};

export const TARGET_KIND_LABELS = { rest: 'REST API', js: 'JavaScript / On-Device' } as const;

/** The script tag a page embeds to load a JS deploy target with a JS / On-Device key. */
export function scriptTag(origin: string, accountId: string, targetId: string, token: string): string {
  const src = `${origin}/${accountId}/v3/agent-api/js/${targetId}?apikey=${encodeURIComponent(token)}`;
  return `<script src="${src}"></script>`;
}

/** The targets a key works on: its associated ones, or every target of its kind when none. */
export function allowedTargets(key: ApiKey, targets: DeployTarget[]): DeployTarget[] {
  const kind = targetKindFor(key.kind);
  if (kind === null) return [];
  const ofKind = targets.filter((t) => t.kind === kind);
  return key.deployTargets.length === 0 ? ofKind : ofKind.filter((t) => key.deployTargets.includes(t.id));
}
