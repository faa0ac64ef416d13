#!/usr/bin/env node
// The server is TypeScript; tsx runs it without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../server/main.ts');
