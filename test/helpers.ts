import { type CliIO, memoryIO, run } from '../src/cli/index.js';
import { createRandom, expandExample } from '../src/scan/secrets/examples.js';

/**
 * Synthetic credentials, made at run time so the repository never holds one. Each call with the
 * same seed gives the same value.
 */
export function fakeSecrets(seed = 7) {
  const rnd = createRandom(seed);
  const gen = (t: string) => expandExample(t, rnd);
  return {
    githubPat: gen('@@crc:ghp_@@'),
    awsKeyId: gen('@@lit:AK|IA@@@@b32:16@@'),
    awsSecret: gen('@@b64:40@@'),
    stripeLive: gen('@@lit:sk_|live_@@@@Aa0:32@@'),
    privateKey: gen('@@pem:RSA PRIVATE KEY@@'),
    password: gen('@@pw:20@@'),
  };
}

export { tempDir } from './tmp.js';

/** Runs the CLI in-process and returns exit code and captured output. */
export async function cli(argv: string[], overrides: Partial<CliIO> = {}) {
  const io = memoryIO(overrides);
  const code = await run(argv, io);
  return { code, stdout: io.out(), stderr: io.err() };
}
