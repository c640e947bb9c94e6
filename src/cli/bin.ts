#!/usr/bin/env node
import { processIO, run } from './index.js';

process.exitCode = await run(process.argv.slice(2), processIO());
