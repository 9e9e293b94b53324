// The roles of an organization's members, as people read them.
import { badge } from './panels';

export const ROLE_LABELS: Record<string, string> = { admin: 'Admin', team_lead: 'Team lead', member: 'Member', viewer: 'Viewer' };

export const roleLabel = (role: string): string => ROLE_LABELS[role] ?? role;

export function roleBadge(role: string): HTMLSpanElement {
  return badge(roleLabel(role), `role-${role}`);
}
