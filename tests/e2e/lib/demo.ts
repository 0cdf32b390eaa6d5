// The demo data of `cohort serve --demo-data` (src/app/bootstrap.cpp): console passwords
// cohort-demo-<extension>, SIP passwords demo-<extension>.
export const demo = {
  admin: { email: 'ana.alvarez@example.com', password: 'cohort-demo-1001', name: 'Ana Alvarez', extension: '1001' },
  supervisor: { email: 'ben.okafor@example.com', password: 'cohort-demo-1002', name: 'Ben Okafor', extension: '1002' },
  agent: { email: 'chloe.martin@example.com', password: 'cohort-demo-1003', name: 'Chloe Martin', extension: '1003' },
} as const;

/** The navigation of an admin (and a supervisor), in the product documents' words. */
export const staffPages = [
  { label: 'Users', path: '/users' },
  { label: 'User Groups', path: '/groups' },
  { label: 'Trunks', path: '/trunks' },
  { label: 'Outbound Rules', path: '/outbound-rules' },
  { label: 'Inbound Routes', path: '/inbound-routes' },
  { label: 'IVR Menus', path: '/ivr-menus' },
  { label: 'Business hours', path: '/business-hours' },
  { label: 'Routing gaps', path: '/routing-gaps' },
  { label: 'Registrations', path: '/registrations' },
  { label: 'Active calls', path: '/active-calls' },
  { label: 'Call records', path: '/call-records' },
  { label: 'Security bans', path: '/security-bans' },
  { label: 'API tokens', path: '/api-tokens' },
] as const;

/** An agent's own pages. */
export const agentPages = [
  { label: 'My profile', path: '/me' },
  { label: 'My groups', path: '/my-groups' },
  { label: 'My calls', path: '/my-calls' },
] as const;

/** Pages for every role: staff find them under Operations, agents under My account. */
export const everyonePages = [{ label: 'Voicemail', path: '/voicemail' }] as const;

/** The whole navigation of an admin (and a supervisor), in order. */
export const staffNav = [...staffPages, ...everyonePages] as const;
/** The whole navigation of an agent, in order. */
export const agentNav = [...agentPages, ...everyonePages] as const;

/** What each admin page reads from the API: an agent's fetch of it must get 403. */
export const adminReads = [
  '/api/v1/trunks',
  '/api/v1/outbound-rules',
  '/api/v1/inbound-routes',
  '/api/v1/ivr-menus',
  '/api/v1/schedules',
  '/api/v1/routing-gaps',
  '/api/v1/calls',
  '/api/v1/security/bans',
] as const;
