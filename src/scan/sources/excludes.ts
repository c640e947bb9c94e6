/**
 * What a scan passes over by default: vendored code, lock files (integrity hashes, not secrets) and
 * binary formats. `--no-default-excludes` turns this off.
 */
export const VENDORED_DIRS = new Set([
  '.git',
  'node_modules',
  'bower_components',
  'jspm_packages',
  'vendor',
  'third_party',
  'third-party',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.mypy_cache',
  '.pytest_cache',
  'Pods',
  '.bundle',
  '.gradle',
  '.terraform',
  '.yarn',
  '.pnpm-store',
  '.warden',
]);

export const LOCK_FILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'go.sum',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'Gemfile.lock',
  'composer.lock',
  'packages.lock.json',
  'mix.lock',
  'pubspec.lock',
  'flake.lock',
  'Package.resolved',
  '.terraform.lock.hcl',
]);

const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico webp tif tiff psd svgz heic avif mp3 mp4 m4a wav ogg flac avi mov mkv webm ' +
    'zip gz tgz bz2 xz 7z rar zst lz4 tar jar war ear apk aab ipa dmg iso img deb rpm msi whl egg ' +
    'exe dll so dylib a o obj lib class pyc pyo wasm node bin dat db sqlite sqlite3 ' +
    'pdf doc docx xls xlsx ppt pptx odt ods woff woff2 ttf otf eot parquet avro orc npy npz pkl pt onnx safetensors'
  ).split(' '),
);

/** The reason a path is excluded by default, or undefined to scan it. */
export function defaultExcludeReason(relPath: string): string | undefined {
  const parts = relPath.split('/');
  const base = parts[parts.length - 1] ?? '';
  for (let i = 0; i < parts.length - 1; i++) if (VENDORED_DIRS.has(parts[i]!)) return `vendored (${parts[i]})`;
  if (LOCK_FILES.has(base)) return 'lock file';
  const dot = base.lastIndexOf('.');
  if (dot > 0 && BINARY_EXTENSIONS.has(base.slice(dot + 1).toLowerCase())) return 'binary extension';
  return undefined;
}

/**
 * Binary content: in the first 8000 bytes (git's sample), more than 5% are NUL or other control bytes
 * text does not use (tab, newlines, form feed and ESC excepted). Git's own rule (any NUL) would let
 * one NUL at the top of a file hide every secret below it; compiled and compressed data is far above
 * the threshold (random bytes are about 10% control bytes, executables more).
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8000);
  let control = 0;
  // Byte by byte up to a 4-byte boundary of the underlying memory, then four bytes at a time: most
  // words of text have no byte below 0x20, and a word test says so without looking at its bytes (the
  // "has a byte less than" bit trick, exact for any word, since ~w drops bytes of 0x80 and above); only
  // words that have one are counted byte by byte. The tail is counted byte by byte too.
  let i = 0;
  const lead = Math.min(n, (4 - (bytes.byteOffset & 3)) & 3);
  for (; i < lead; i++) control += CONTROL[bytes[i]!]!;
  const count = (n - i) >>> 2;
  if (count > 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, count);
    for (let w = 0; w < count; w++) {
      const x = words[w]!;
      if (((x - 0x20202020) & ~x & 0x80808080) === 0) continue;
      const k = i + w * 4;
      control += CONTROL[bytes[k]!]! + CONTROL[bytes[k + 1]!]! + CONTROL[bytes[k + 2]!]! + CONTROL[bytes[k + 3]!]!;
    }
    i += count * 4;
  }
  for (; i < n; i++) control += CONTROL[bytes[i]!]!;
  return n > 0 && control > n * 0.05;
}

/** 1 for the bytes that count as binary: control characters but tab, the line ends, form feed, vertical tab and ESC. */
const CONTROL = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) if (![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b].includes(b)) CONTROL[b] = 1;
