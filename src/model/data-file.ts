import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from './package-root.js';

/**
 * Reads one of Warden's own YAML data files (rules, catalogues) through a JSON cache. Parsing the
 * 300+ secret rules as YAML takes most of a second, paid by every process and every worker thread;
 * JSON of the same data parses in a few milliseconds. The cache lives in dist/.data-cache, is keyed by
 * path and refreshed whenever the YAML is newer; writing it is best effort (a read-only install
 * simply parses the YAML). Throws what the YAML parser throws for a broken file.
 * @example const doc = readYamlData('/…/rules/secrets/aws.yaml')
 */
export function readYamlData(path: string): unknown {
  const root = packageRoot();
  const cache = join(root, 'dist', '.data-cache', `${relative(root, path).replace(/[\\/]/g, '__')}.json`);
  let yamlTime = 0;
  try {
    yamlTime = statSync(path).mtimeMs;
    if (statSync(cache).mtimeMs >= yamlTime) return JSON.parse(readFileSync(cache, 'utf8'));
  } catch {
    // no cache yet, or a cache we cannot read: parse the YAML
  }
  const doc = parseYaml(readFileSync(path, 'utf8'));
  try {
    mkdirSync(dirname(cache), { recursive: true });
    // Write then rename: worker threads starting together never read a half-written cache.
    const tmp = `${cache}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, JSON.stringify(doc));
    renameSync(tmp, cache);
  } catch {
    // best effort
  }
  return doc;
}

/**
 * Reads every YAML file of a folder (sorted) and validates each with `schema`; problems are collected
 * into `issues` (with `label/<file>:<path>`) rather than thrown, so a caller reports all of them at once.
 * @example for (const { data } of readValidatedYamlDir(dir, 'rules/posture', PostureRuleFileSchema, issues)) …
 */
export function readValidatedYamlDir<T>(
  dir: string,
  label: string,
  schema: {
    safeParse(
      doc: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  issues: Array<{ path: string; message: string }>,
): Array<{ file: string; source: string; data: T }> {
  const out: Array<{ file: string; source: string; data: T }> = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  for (const file of files) {
    const source = `${label}/${file}`;
    let doc: unknown;
    try {
      doc = readYamlData(join(dir, file));
    } catch (err) {
      issues.push({ path: source, message: `not valid YAML: ${(err as Error).message}` });
      continue;
    }
    const parsed = schema.safeParse(doc);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ path: `${source}:${i.path.map(String).join('.')}`, message: i.message });
      continue;
    }
    out.push({ file, source, data: parsed.data });
  }
  return out;
}
