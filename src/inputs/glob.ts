/** A pattern people type (`crm-*`, `MAPPER-*`): `*` matches any text, case-insensitively, whole. */
export function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i')
}
