#!/usr/bin/env node
// Writes docs/config.md and scr.conf.example from the schema (after `npm run build:ts`).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderConfigDoc, renderConfExample } = await import(join(root, 'dist', 'src', 'config', 'docs.js'));
writeFileSync(join(root, 'docs', 'config.md'), renderConfigDoc());
writeFileSync(join(root, 'scr.conf.example'), renderConfExample());
console.log('wrote docs/config.md and scr.conf.example');
