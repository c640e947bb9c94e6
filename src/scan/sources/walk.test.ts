import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '../../../test/tmp.js';
import { walkTree } from './walk.js';

const { dir, cleanup } = tempDir('warden-walk-');
after(cleanup);

function write(rel: string, body = 'x\n'): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), body);
}

test('.gitignore files apply from the directory that holds them down, each read only where it is listed', () => {
  write('.gitignore', '*.log\n');
  write('a/.gitignore', 'secret.txt\n/local/\n');
  write('a/secret.txt');
  write('a/keep.txt');
  write('a/local/x.txt');
  write('a/deep/secret.txt');
  write('b/secret.txt');
  write('b/run.log');
  write('c/nested/d/file.txt');
  // A .gitignore that is a link is read through it, as before.
  write('shared-ignore', 'generated.txt\n');
  mkdirSync(join(dir, 'e'));
  symlinkSync(join(dir, 'shared-ignore'), join(dir, 'e', '.gitignore'));
  write('e/generated.txt');
  write('e/kept.txt');
  const skipped: string[] = [];
  const paths = [
    ...walkTree({
      root: dir,
      maxFileSize: 1 << 20,
      defaultExcludes: true,
      onSkip: (p, reason) => skipped.push(`${p} ${reason}`),
    }),
  ].map((i) => i.path);
  assert.deepEqual(paths, [
    '.gitignore',
    'a/.gitignore',
    'a/keep.txt',
    'b/secret.txt',
    'c/nested/d/file.txt',
    'e/kept.txt',
    'shared-ignore',
  ]);
  assert.ok(skipped.includes('a/secret.txt ignored'));
  assert.ok(skipped.includes('a/deep/secret.txt ignored'), 'an unanchored pattern applies below its directory');
  assert.ok(skipped.includes('a/local/ ignored'));
  assert.ok(skipped.includes('b/run.log ignored'));
  assert.ok(skipped.includes('e/generated.txt ignored'));
  assert.ok(skipped.includes('e/.gitignore symlink'));
});
