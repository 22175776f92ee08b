/**
 * Who made a run. Adobe records the creating credential's client ID as `createdClient` (the same
 * value the action sends as `x-api-key`); the scheduler's runs carry `acp_foundation_connectors`,
 * the UI's `exc_app`. This is the only place that compares them.
 */
export type Owns = (run: { createdClient?: string }) => boolean

/** "Was this run created by this credential?", for the API key the action sends. */
export function ownedBy(apiKey: string): Owns {
  return run => run.createdClient !== undefined && run.createdClient === apiKey
}
