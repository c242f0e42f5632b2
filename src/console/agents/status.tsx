/** An agent's status as the console names it: a marker in lists, headings and reports. */

export const STATUS_LABELS: Record<string, string> = {
  draft: 'Draft',
  running: 'Running',
  paused: 'Paused',
  stopped: 'Stopped',
  archived: 'Archived',
};

export const STATUS_HINTS: Record<string, string> = {
  draft: 'being prepared: answers nothing (clients use their default), not counted',
  running: 'selects variations and counts sessions',
  paused: 'always answers the "paused at" variation, not counted',
  stopped: 'answers nothing (clients use their default)',
  archived: 'answers nothing, kept for its reports',
};

export function StatusMarker(props: { status: string }): JSX.Element {
  return (
    <span class={`tag status-${props.status}`} safe>
      {STATUS_LABELS[props.status] ?? props.status}
    </span>
  );
}
