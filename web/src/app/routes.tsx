// The one route table. Each resource is a lazily loaded chunk whose index.tsx exports the
// page as default and owns its sub-routes (`users/*` → <Routes> inside the resource).
// To build a page, replace the file the entry imports; nothing here needs to change.
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Role } from '../api/types';

export type Section = 'Call Manager' | 'Operations' | 'My account';

export interface PageEntry {
  /** URL segment under /, without the trailing /*. */
  path: string;
  /** The navigation label, in the product documents' words. */
  label: string;
  section: Section;
  /** Where an agent finds it, when not in `section` (a page for every role). */
  agentSection?: Section;
  roles: readonly Role[];
  component: LazyExoticComponent<ComponentType>;
}

const staff = ['admin', 'supervisor'] as const;
const agent = ['agent'] as const;
const everyone = ['admin', 'supervisor', 'agent'] as const;

export const pages: readonly PageEntry[] = [
  // Call Manager
  {
    path: 'users',
    label: 'Users',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/users')),
  },
  {
    path: 'groups',
    label: 'User Groups',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/groups')),
  },
  {
    path: 'trunks',
    label: 'Trunks',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/trunks')),
  },
  {
    path: 'outbound-rules',
    label: 'Outbound Rules',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/outbound-rules')),
  },
  {
    path: 'inbound-routes',
    label: 'Inbound Routes',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/inbound-routes')),
  },
  {
    path: 'ivr-menus',
    label: 'IVR Menus',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/ivr-menus')),
  },
  {
    path: 'business-hours',
    label: 'Business hours',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/schedules')),
  },
  {
    path: 'routing-gaps',
    label: 'Routing gaps',
    section: 'Call Manager',
    roles: staff,
    component: lazy(() => import('../resources/routing-gaps')),
  },
  // Operations
  {
    path: 'registrations',
    label: 'Registrations',
    section: 'Operations',
    roles: staff,
    component: lazy(() => import('../resources/operations/registrations')),
  },
  {
    path: 'active-calls',
    label: 'Active calls',
    section: 'Operations',
    roles: staff,
    component: lazy(() => import('../resources/operations/active-calls')),
  },
  {
    path: 'call-records',
    label: 'Call records',
    section: 'Operations',
    roles: staff,
    component: lazy(() => import('../resources/operations/call-records')),
  },
  {
    path: 'security-bans',
    label: 'Security bans',
    section: 'Operations',
    roles: staff,
    component: lazy(() => import('../resources/operations/security-bans')),
  },
  {
    path: 'api-tokens',
    label: 'API tokens',
    section: 'Operations',
    roles: staff,
    component: lazy(() => import('../resources/operations/api-tokens')),
  },
  // An agent's own pages
  {
    path: 'me',
    label: 'My profile',
    section: 'My account',
    roles: agent,
    component: lazy(() => import('../resources/me/profile')),
  },
  {
    path: 'my-groups',
    label: 'My groups',
    section: 'My account',
    roles: agent,
    component: lazy(() => import('../resources/me/groups')),
  },
  {
    path: 'my-calls',
    label: 'My calls',
    section: 'My account',
    roles: agent,
    component: lazy(() => import('../resources/me/calls')),
  },
  // Every role: staff find it under Operations, agents under My account.
  {
    path: 'voicemail',
    label: 'Voicemail',
    section: 'Operations',
    agentSection: 'My account',
    roles: everyone,
    component: lazy(() => import('../resources/voicemail')),
  },
];

export function pagesFor(role: Role | undefined): PageEntry[] {
  return role ? pages.filter((p) => p.roles.includes(role)) : [];
}

/// The navigation section of `page` for `role`.
export function sectionOf(page: PageEntry, role: Role | undefined): Section {
  return role === 'agent' && page.agentSection ? page.agentSection : page.section;
}

export function homeFor(role: Role | undefined): string {
  return role === 'agent' ? '/me' : '/users';
}
