import * as core from '@actions/core'

// Every secret the action is given or derives goes through here: the runner masks it in its log
// (`::add-mask::`), and `redact` scrubs it from the text we build ourselves (error messages, the
// summary, outputs), which also protects runs outside GitHub where nothing masks for us.
const known = new Set<string>()

export function registerSecret(value: string | undefined): void {
  if (!value || known.has(value)) return
  known.add(value)
  core.setSecret(value)
}

export function redact(text: string): string {
  let out = text
  for (const secret of known) out = out.split(secret).join('***')
  return out
}
