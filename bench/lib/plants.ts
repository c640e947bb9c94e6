// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} placeholders are the decoys
import { expandExample } from '../../src/scan/secrets/examples.js';
import { loadSecretRules } from '../../src/scan/secrets/load-rules.js';
import type { Rng } from './rng.js';

/**
 * What the corpus plants: synthetic secrets made from every rule's positive examples, and decoys that
 * look like secrets but are not. Templates use the rule examples' `@@generator@@` syntax, so nothing
 * credential-shaped is stored in this repository; values exist only in the generated corpus.
 */
export interface PlantTemplate {
  kind: 'secret' | 'decoy';
  /** For secrets: the rule the value was made for. For rule negatives: the rule it must not trigger. */
  ruleId?: string;
  /** Report group: the rule id for secrets, a decoy family for decoys. */
  label: string;
  template: string;
  /** File-name globs the rule is limited to (its `paths`): the plant goes into such a file. */
  paths?: readonly string[];
}

/**
 * Decoys beyond the rules' own negatives: what real repositories are full of. Every scanner should
 * stay quiet on these; a report at one of them is a false positive.
 */
const COMMON_DECOYS: readonly Omit<PlantTemplate, 'kind'>[] = [
  // AWS's documented example credentials, copied into countless READMEs and tests.
  { label: 'doc-example', template: 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE' },
  { label: 'doc-example', template: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  { label: 'doc-example', template: '"accessKeyId": "AKIAIOSFODNN7EXAMPLE",' },
  { label: 'env-reference', template: 'api_key: ${API_KEY}' },
  { label: 'env-reference', template: 'DB_PASSWORD=${DB_PASSWORD}' },
  { label: 'env-reference', template: 'token = os.environ["GITHUB_TOKEN"]' },
  { label: 'env-reference', template: 'password: "{{ .Values.db.password }}"' },
  { label: 'env-reference', template: "const secret = process.env.JWT_SECRET || '';" },
  { label: 'placeholder', template: 'password = "<your-password-here>"' },
  { label: 'placeholder', template: 'API_KEY=your_api_key_here' },
  { label: 'placeholder', template: 'token: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"' },
  { label: 'placeholder', template: 'SECRET_KEY=changeme' },
  { label: 'placeholder', template: 'GITHUB_TOKEN=ghp_************************************' },
  { label: 'hash', template: 'sha256 = "@@x:64@@"' },
  { label: 'hash', template: 'commit: @@x:40@@' },
  { label: 'hash', template: '"integrity": "sha512-@@b64:86@@==",' },
  { label: 'hash', template: 'etag: "@@x:32@@"' },
  { label: 'hash', template: 'checksum_md5=@@x:32@@' },
  { label: 'uuid', template: 'request_id: @@uuid@@' },
  { label: 'uuid', template: '"tenantId": "@@uuid@@",' },
  { label: 'uuid', template: 'client_id = "@@uuid@@"' },
  { label: 'public-key', template: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ@@b64:500@@ deploy@build-01' },
  { label: 'public-key', template: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI@@b64:43@@ ci@example.com' },
  { label: 'public-key', template: '@@pem:PUBLIC KEY@@' },
  { label: 'public-key', template: '@@pem:CERTIFICATE@@' },
  // Stripe publishable keys are meant to ship in web pages.
  { label: 'publishable-key', template: 'stripePublishableKey: "@@lit:pk_|live_@@@@Aa0:24@@"' },
];

/** Every template, from the rules loaded now (rules change, so this is computed, never cached). */
export function plantTemplates(): { secrets: PlantTemplate[]; decoys: PlantTemplate[] } {
  const secrets: PlantTemplate[] = [];
  const decoys: PlantTemplate[] = [];
  for (const rule of loadSecretRules()) {
    for (const template of rule.examples.positive)
      secrets.push({ kind: 'secret', ruleId: rule.id, label: rule.id, template, ...(rule.paths ? { paths: rule.paths } : {}) });
    for (const template of rule.examples.negative)
      decoys.push({ kind: 'decoy', ruleId: rule.id, label: 'rule-negative', template });
  }
  for (const d of COMMON_DECOYS) decoys.push({ kind: 'decoy', ...d });
  return { secrets, decoys };
}

/**
 * `count` templates spread evenly: secrets round-robin over rules (each provider gets its share, whatever
 * the number of examples it has), decoys round-robin over families.
 */
export function spread(templates: readonly PlantTemplate[], count: number, by: (t: PlantTemplate) => string): PlantTemplate[] {
  const groups = new Map<string, PlantTemplate[]>();
  for (const t of templates) {
    const key = by(t);
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  const lists = [...groups.values()];
  const out: PlantTemplate[] = [];
  for (let i = 0; out.length < count && lists.length > 0; i++) {
    const g = lists[i % lists.length]!;
    out.push(g[Math.floor(i / lists.length) % g.length]!);
  }
  return out;
}

/** The lines a template becomes (PEM blocks span several). */
export function expandPlant(t: PlantTemplate, r: Rng): string[] {
  return expandExample(t.template, r.next).split('\n');
}
