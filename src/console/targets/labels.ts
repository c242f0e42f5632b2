/** Deploy targets' kinds and modes as the console names them. */

export const TARGET_KINDS = { rest: 'REST API', js: 'JS / On-Device' } as const;

export const MODES = {
  automatic: 'Automatic: every change is deployed at once',
  manual: 'Manual: changes wait for "Deploy now"',
} as const;
