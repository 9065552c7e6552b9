// The path of this CLI's entry point: what commands run on other nodes (`scr … --this-node`).
import { fileURLToPath } from 'node:url';

export const SCR_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
