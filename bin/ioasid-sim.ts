#!/usr/bin/env node
// The `ioasid-sim` executable: everything lives in cli/cli.ts, which tests call directly.
import { main } from '../cli/cli.js';

// exitCode, not exit(): stdout may still be flushing a large JSON report into a pipe.
process.exitCode = await main(process.argv.slice(2));
