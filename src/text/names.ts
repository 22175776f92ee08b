/**
 * A flow as a person knows it, for annotations and messages: its name, with a short id to tell
 * flows of one name apart (`"crm-accounts" (3d17a4ff)`); the whole id when the name is unknown.
 * The summary and the issue carry the whole id next to it.
 */
export function flowLabel(flowId: string | undefined, flowName?: string): string {
  if (!flowId) return flowName ? `"${flowName}"` : '?'
  return flowName ? `"${flowName}" (${flowId.slice(0, 8)})` : flowId
}
