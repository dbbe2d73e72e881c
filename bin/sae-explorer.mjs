#!/usr/bin/env node
// Entry point of the `sae-explorer` command: runs the TypeScript CLI through tsx's loader, so the
// package works straight after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv);
