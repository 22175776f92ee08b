import * as core from '@actions/core'

// Every secret the action is given or derives goes through here: the runner masks it in its log
// (`::add-mask::`), and `redact` scrubs it from the text we build ourselves (error messages, the
// summary, outputs, issues), which also protects runs outside GitHub where nothing masks for us.
const known = new Set<string>()

/** Shorter values are refused as inputs: masking them would garble every id and JSON text. */
export const MIN_SECRET_LENGTH = 4

/**
 * Registers a secret and the forms a server or a URL may echo it in (percent-encoded,
 * JSON-escaped), as peter-evans/create-pull-request masks what it derives from a token.
 */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || known.has(value)) return
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])
  for (const form of forms) {
    known.add(form)
    core.setSecret(form)
  }
}

/** Replaces every known secret, longest first so a secret inside another is not half-replaced. */
export function redact(text: string): string {
  let out = text
  for (const secret of [...known].sort((a, b) => b.length - a.length))
    out = out.split(secret).join('***')
  return out
}
