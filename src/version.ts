import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './native/paths.js';

/** The library's version (package.json's), like SCR_Get_version. */
export const version: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
