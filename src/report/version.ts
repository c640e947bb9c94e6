import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../model/package-root.js';

let version: string | undefined;
/** Warden's version, from package.json. */
export function wardenVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
