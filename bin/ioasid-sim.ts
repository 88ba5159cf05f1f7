#!/usr/bin/env node
// The `ioasid-sim` executable: everything lives in cli/cli.ts, which tests run as this process.
import { main } from '../cli/cli.js';

// exitCode, not exit(): stderr may still be flushing into a pipe (main waits for stdout only).
process.exitCode = await main(process.argv.slice(2));
