// The action's entry point: dist/index.js is this file bundled. Everything lives in main.ts.
import { cacheCallAbandoned } from './ledger/session.js'
import { run } from './main.js'

// A cache call given up on may leave a socket that keeps Node running after the step is done:
// then end the process (the exit code is already set; our output is written synchronously).
void run().then(() => {
  if (cacheCallAbandoned()) process.exit()
})
