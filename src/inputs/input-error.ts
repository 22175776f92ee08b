/** A problem with the inputs: reported as one annotation, before anything is sent. */
export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid input: ${problems[0]}`
        : `Invalid inputs:\n- ${problems.join('\n- ')}`
    )
    this.name = 'InputError'
  }
}
