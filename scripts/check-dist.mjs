// Fails when dist/ is not what a fresh `npm run bundle` makes from src/: GitHub runs dist/, never src/.
import { execFileSync } from 'node:child_process'

const run = (cmd, args) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
run('npm', ['run', '-s', 'bundle'])
const changed = run('git', ['status', '--porcelain', '--', 'dist'])
if (changed.trim()) {
  console.error(
    `dist/ does not match a fresh bundle of src/:\n${changed}\n${run('git', ['diff', '--stat', '--', 'dist'])}`
  )
  console.error('Run `npm run bundle` and commit dist/ with the source that produced it.')
  process.exit(1)
}
console.log('dist/ matches a fresh bundle of src/.')
