// The action's entry point: dist/index.js is this file bundled. Everything lives in main.ts.
import { run } from './main.js'

void run()
