/**
 * Values that look like secrets but are not: documented examples, template variables (including
 * autoconf/CMake `@VAR@` substitutions and Warden's own unexpanded `@@class:n@@` example generators), environment
 * look-ups, masked values. Applied to the captured secret (and, for template syntax, its surroundings).
 */

/**
 * Published example credentials: AWS's documentation pair, and the sample tokens and client credentials
 * of the OAuth 2.0 RFCs (6749, 6750), which library docstrings copy verbatim.
 */
const KNOWN_EXAMPLES = new Set([
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  '2YotnFZFEjr1zCsicMWpAA',
  'tGzv3JOkF0XG5Qx2TlKWIA',
  'SplxlOBeZQQYbYS6WxSbIA',
  'czZCaGRSa3F0MzpnWDFmQmF0M2JW',
  'gX1fBat3bV',
  'mF_9.B5f-4.1JqM',
]);

const MARKERS =
  /example|sample|dummy|placeholder|your[_-]?(?:api[_-]?)?(?:key|token|secret|password)|changeme|change[_-]me|redacted|insert[_-]|replace[_-]?me|notarealkey|fake[_-]?(?:key|token|secret)|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%\([a-z_]+\)s|\bprocess\.env\b|\bos\.(?:environ|getenv)\b|\bgetenv\(|\bSystem\.getenv\b|\bENV\[|\$\([^)]*\)|@@[^@\s]+@@/i;

/** Six or more of one character, or runs such as 123456/abcdef, mark a hand-typed filler. */
const FILLER = /(.)\1{5,}|0123456|1234567|abcdefgh|qwerty/i;

/** A variable reference as a whole value: $VAR, %VAR%, or an autoconf/CMake @VAR@ substitution. */
const VAR_REF = /^(?:\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|@[A-Za-z_][A-Za-z0-9_]*@)$/;

export function isPlaceholder(secret: string): boolean {
  if (KNOWN_EXAMPLES.has(secret)) return true;
  if (VAR_REF.test(secret)) return true;
  if (MARKERS.test(secret)) return true;
  if (FILLER.test(secret)) return true;
  // A masked value ("****", "xxxx") that survived the filler check: mostly one character.
  let same = 0;
  const first = secret[0];
  for (const ch of secret) if (ch === first || ch === '*' || ch === 'x' || ch === 'X') same++;
  return secret.length > 0 && same / secret.length > 0.6;
}
