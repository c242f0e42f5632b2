/** Deploy targets' kinds and modes as the console names them. */

export const TARGET_KINDS = { rest: 'REST API', js: 'JS / On-Device' } as const;

export const MODES = {
  automatic: 'Automatic: every change is deployed at once',
  manual: 'Manual: changes wait for "Deploy now"',
} as const;

export const VISITOR_STORAGE = {
  localStorage: { label: 'localStorage', hint: "this host name's own: each subdomain has its own visitors" },
  cookie: {
    label: 'First-party cookie',
    hint: 'on the cookie domain below, so a visitor keeps their variations across its subdomains',
  },
} as const;
