// Who did something (an audit row, an approval request): a person, an API key or the system, by name where the
// organization's members and keys say it; the id stays visible, since names are best effort.
import { call, type Schemas } from '../api/client';
import { LIST_PAGE_SIZE, readAll } from '../api/paging';
import { h } from '../lib/dom';
import type { PageContext } from '../pages/context';

export const ACTOR_TYPES: Record<string, string> = { user: 'User', api_key: 'API key', system: 'System' };

export const actorTypeLabel = (type: string): string => ACTOR_TYPES[type] ?? type;

/** Names by id: "Ada (ada@example.com)" for members, "Deploy bot (ak_live_…)" for keys. Pure. */
export function actorNames(members: readonly Pick<Schemas['MemberView'], 'user_id' | 'name' | 'email'>[], keys: readonly Pick<Schemas['ApiKeyView'], 'id' | 'name' | 'prefix'>[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of members) if (m.user_id) names.set(m.user_id, m.name ? `${m.name} (${m.email})` : m.email);
  for (const k of keys) names.set(k.id, `${k.name} (${k.prefix}_…)`);
  return names;
}

/** The members' and (for who may read them) the keys' names; a list that cannot be read names nobody. */
export async function loadActorNames(ctx: Pick<PageContext, 'transport' | 'holds'>): Promise<Map<string, string>> {
  const none = { items: [] };
  const [members, keys] = await Promise.all([
    readAll((cursor) => call(ctx.transport, 'listMembers', { query: { limit: LIST_PAGE_SIZE, cursor: cursor ?? undefined } })).catch(() => none),
    ctx.holds('api_keys_read') ? readAll((cursor) => call(ctx.transport, 'listApiKeys', { query: { limit: LIST_PAGE_SIZE, cursor: cursor ?? undefined } })).catch(() => none) : none,
  ]);
  return actorNames(members.items, keys.items);
}

/** The actor of an audit row: its kind, its name when known, and its id. */
export function actorLabel(r: Pick<Schemas['AuditView'], 'actor_type' | 'actor_id'>, names: ReadonlyMap<string, string>): HTMLElement {
  const name = r.actor_id ? names.get(r.actor_id) : null;
  return h('div', { class: 'who actor' },
    h('span', { class: 'who-line' }, h('span', { class: `actor-type actor-${r.actor_type}` }, actorTypeLabel(r.actor_type)),
      name && h('span', { class: 'clip-name', title: name }, name)),
    r.actor_id && h('code', { class: 'small muted id-clip', title: r.actor_id }, r.actor_id));
}
