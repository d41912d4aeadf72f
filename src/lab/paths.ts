/** Files shipped with portsec, found from compiled code (dist/src/…) and from source (src/…, in tests) alike. */
import { join, sep } from 'node:path';

const here = import.meta.dirname;
const root = here.split(sep).includes('dist') ? join(here, '../../..') : join(here, '../..');

export const repoPath = (...parts: string[]) => join(root, ...parts);
