// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell, YAML and Spring placeholders are the point of this text
import { ALNUM, HEX, type Rng } from './rng.js';

/**
 * Clean, realistic text for the scan corpus: code, configuration, logs, minified bundles and prose.
 * "Clean" means no credential-shaped literal: names such as apiKey, token, secret and password occur at
 * the rate ordinary service code has them (so keyword prefilters do real work), but their values are
 * environment look-ups, calls, template variables or short words. Anything a scanner reports here
 * that is not a planted secret or decoy is noise in ordinary text.
 */

export type FileKind =
  | 'ts'
  | 'py'
  | 'go'
  | 'java'
  | 'rb'
  | 'sh'
  | 'env'
  | 'yaml'
  | 'json'
  | 'properties'
  | 'log'
  | 'minjs'
  | 'md';

const NOUNS = (
  'user account order invoice item cache request response client server config session token key secret password ' +
  'credential auth handler service repository event queue message payload buffer index count value result error status ' +
  'name path url host port timeout retry limit offset page data record field schema table row column query filter ' +
  'metric report job worker task node cluster region bucket object file stream socket channel policy role permission ' +
  'tenant project build release version digest signature certificate header cookie profile email address payment price ' +
  'currency product cart customer vendor shipment webhook scope grant audit'
).split(' ');
const VERBS = (
  'get set load save fetch create update delete find parse build validate render handle process send read write open ' +
  'close reset refresh resolve compute merge split format encode decode sign verify rotate revoke lookup list sync ' +
  'flush emit apply check normalize'
).split(' ');
const CLAUSES = [
  'when the token has expired',
  'so the cache stays warm',
  'before the secret is rotated',
  'if the password field is empty',
  'after the session key is refreshed',
  'unless the request was already retried',
  'for every tenant in the region',
  'because the upstream service may time out',
  'while holding the queue lock',
  'once the webhook signature is verified',
  'so that callers never see a partial record',
  'in the order the events arrived',
];
const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR'];
const HTTP = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Word-level helpers shared by every generator. */
class Words {
  constructor(readonly r: Rng) {}
  noun(): string {
    return this.r.pick(NOUNS);
  }
  verb(): string {
    return this.r.pick(VERBS);
  }
  camel(): string {
    return this.verb() + cap(this.noun()) + (this.r.chance(0.3) ? cap(this.noun()) : '');
  }
  varName(): string {
    return this.r.chance(0.5) ? this.noun() : this.noun() + cap(this.noun());
  }
  pascal(): string {
    return cap(this.noun()) + cap(this.noun());
  }
  snake(): string {
    return `${this.verb()}_${this.noun()}${this.r.chance(0.3) ? `_${this.noun()}` : ''}`;
  }
  upper(): string {
    return `${this.noun()}_${this.noun()}`.toUpperCase();
  }
  sentence(): string {
    return `${cap(this.verb())}s the ${this.noun()} ${this.r.pick(['for', 'from', 'into', 'with', 'of'])} the ${this.noun()} ${this.r.pick(CLAUSES)}.`;
  }
  num(max = 10000): number {
    return this.r.int(0, max);
  }
  host(): string {
    return `${this.noun()}-${this.r.pick(['api', 'db', 'cache', 'svc', 'worker'])}.${this.r.pick(['internal', 'prod.local', 'staging.svc.cluster.local'])}`;
  }
  hex(n: number): string {
    return this.r.chars(HEX, n);
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }
  ip(): string {
    return `10.${this.r.int(0, 255)}.${this.r.int(0, 255)}.${this.r.int(1, 254)}`;
  }
  time(i: number): string {
    // Monotonic timestamps: logs read top to bottom.
    const t = new Date(Date.UTC(2024, 4, 12) + i * 137);
    return t.toISOString();
  }
}

type Unit = (w: Words) => string[];

function fill(w: Words, units: readonly Unit[], targetBytes: number, minLines: number, prologue: string[] = []): string[] {
  const lines = [...prologue];
  let bytes = 0;
  for (const l of lines) bytes += l.length + 1;
  while (bytes < targetBytes || lines.length < minLines) {
    for (const l of w.r.pick(units)(w)) {
      lines.push(l);
      bytes += l.length + 1;
    }
  }
  return lines;
}

function tsStatement(w: Words): string {
  const v = w.varName();
  switch (w.r.int(0, 14)) {
    case 0:
      return `  const ${v} = await this.${w.noun()}Service.${w.camel()}(${w.noun()}Id);`;
    case 1:
      return `  if (${v} === undefined) return null;`;
    case 2:
      return `  for (const ${w.noun()} of ${v}s) total += ${w.noun()}.${w.noun()}Count;`;
    case 3:
      return `  const apiKey = process.env.${w.upper()}_API_KEY ?? '';`;
    case 4:
      return `  const token = await this.auth.getAccessToken({ scope: '${w.noun()}:read' });`;
    case 5:
      return "  headers.set('Authorization', `Bearer ${token}`);";
    case 6:
      return `  const password = await vault.read(\`secret/data/${w.noun()}/\${env}\`);`;
    case 7:
      return `  logger.info({ ${w.noun()}Id: ${v}.id }, '${w.sentence()}');`;
    case 8:
      return `  ${v}.${w.noun()} = ${w.varName()}.${w.noun()} ?? DEFAULT_${w.upper()};`;
    case 9:
      return `  const url = new URL(\`/api/v${w.r.int(1, 3)}/${w.noun()}s/\${id}\`, this.baseUrl);`;
    case 10:
      return `  // ${w.sentence()}`;
    case 11:
      return `  const cacheKey = \`${w.noun()}:\${${v}.id}\`;`;
    case 12:
      return `  await redis.set(cacheKey, JSON.stringify(${v}), 'EX', ${w.num(86400)});`;
    case 13:
      return `  const digest = createHash('sha256').update(${v}.${w.noun()}).digest('hex');`;
    default:
      return `  if (!${v}.${w.noun()}) throw new ${w.pascal()}Error(\`missing ${w.noun()} for \${${v}.id}\`);`;
  }
}

const TS_UNITS: Unit[] = [
  (w) => {
    const body = Array.from({ length: w.r.int(3, 12) }, () => tsStatement(w));
    return [
      `/** ${w.sentence()} */`,
      `export async function ${w.camel()}(${w.noun()}Id: string, options: ${w.pascal()}Options = {}): Promise<${w.pascal()} | null> {`,
      ...body,
      `  return ${w.varName()};`,
      '}',
      '',
    ];
  },
  (w) => [`import { ${w.pascal()}, ${w.camel()} } from './${w.noun()}-${w.noun()}.js';`],
  (w) => {
    const t = w.pascal();
    const fields = Array.from(
      { length: w.r.int(2, 8) },
      () =>
        `  ${w.varName()}${w.r.chance(0.3) ? '?' : ''}: ${w.r.pick(['string', 'number', 'boolean', 'Date', `${w.pascal()}[]`])};`,
    );
    return [`export interface ${t} {`, ...fields, '}', ''];
  },
];

function pyStatement(w: Words): string {
  const v = `${w.noun()}_${w.noun()}`;
  switch (w.r.int(0, 11)) {
    case 0:
      return `        ${v} = self.${w.noun()}_client.${w.snake()}(${w.noun()}_id)`;
    case 1:
      return `        if ${v} is None:\n            return None`;
    case 2:
      return `        api_key = os.environ.get("${w.upper()}_API_KEY", "")`;
    case 3:
      return `        token = self.session.fetch_token(scope="${w.noun()}:write")`;
    case 4:
      return `        password = settings.DATABASES["default"]["PASSWORD"]`;
    case 5:
      return `        logger.debug("%s: %s", "${w.sentence()}", ${v})`;
    case 6:
      return `        # ${w.sentence()}`;
    case 7:
      return `        for ${w.noun()} in ${v}:\n            total += ${w.noun()}.${w.noun()}_count`;
    case 8:
      return `        secret_name = f"${w.noun()}/{self.env}/${w.noun()}"`;
    case 9:
      return `        headers = {"Authorization": f"Bearer {token}", "X-Request-Id": str(uuid4())}`;
    case 10:
      return `        resp = requests.get(f"{self.base_url}/v1/${w.noun()}s/{${v}.id}", headers=headers, timeout=${w.r.int(1, 30)})`;
    default:
      return `        ${v}.${w.noun()} = ${w.noun()}.get("${w.noun()}", ${w.num(100)})`;
  }
}

const PY_UNITS: Unit[] = [
  (w) => [
    `class ${w.pascal()}(${w.pascal()}Base):`,
    `    """${w.sentence()}"""`,
    '',
    `    def ${w.snake()}(self, ${w.noun()}_id: str) -> Optional[${w.pascal()}]:`,
    ...Array.from({ length: w.r.int(3, 10) }, () => pyStatement(w)),
    `        return ${w.noun()}`,
    '',
  ],
  (w) => [`from ${w.noun()}.${w.noun()} import ${w.pascal()}, ${w.snake()}`],
  (w) => [
    `def ${w.snake()}(${w.noun()}, ${w.noun()}=None):`,
    `    # ${w.sentence()}`,
    ...Array.from({ length: w.r.int(2, 6) }, () => pyStatement(w).slice(4)),
    `    return ${w.noun()}`,
    '',
  ],
];

function goStatement(w: Words): string {
  switch (w.r.int(0, 9)) {
    case 0:
      return `\t${w.noun()}, err := s.${w.noun()}Store.${cap(w.camel())}(ctx, ${w.noun()}ID)`;
    case 1:
      return '\tif err != nil {\n\t\treturn nil, fmt.Errorf("' + w.verb() + ' ' + w.noun() + ': %w", err)\n\t}';
    case 2:
      return `\tapiKey := os.Getenv("${w.upper()}_API_KEY")`;
    case 3:
      return `\ttoken, err := s.tokenSource.Token()`;
    case 4:
      return '\treq.Header.Set("Authorization", "Bearer "+token.AccessToken)';
    case 5:
      return `\t// ${w.sentence()}`;
    case 6:
      return `\tlog.Info().Str("${w.noun()}", ${w.noun()}.ID).Msg("${w.sentence()}")`;
    case 7:
      return `\tpassword := cfg.Database.Password`;
    case 8:
      return `\tfor _, ${w.noun()} := range ${w.noun()}s {\n\t\ttotal += ${w.noun()}.${cap(w.noun())}Count\n\t}`;
    default:
      return `\tctx, cancel := context.WithTimeout(ctx, ${w.r.int(1, 60)}*time.Second)\n\tdefer cancel()`;
  }
}

const GO_UNITS: Unit[] = [
  (w) => [
    `// ${cap(w.camel())} ${w.sentence().toLowerCase()}`,
    `func (s *${w.pascal()}Service) ${cap(w.camel())}(ctx context.Context, ${w.noun()}ID string) (*${w.pascal()}, error) {`,
    ...Array.from({ length: w.r.int(3, 10) }, () => goStatement(w)),
    `\treturn ${w.noun()}, nil`,
    '}',
    '',
  ],
  (w) => [
    `type ${w.pascal()} struct {`,
    ...Array.from(
      { length: w.r.int(2, 7) },
      () => `\t${w.pascal()} ${w.r.pick(['string', 'int64', 'bool', 'time.Time', '[]byte'])} \`json:"${w.noun()}_${w.noun()}"\``,
    ),
    '}',
    '',
  ],
];

const JAVA_UNITS: Unit[] = [
  (w) => [
    '    /**',
    `     * ${w.sentence()}`,
    '     */',
    `    public ${w.pascal()} ${w.camel()}(String ${w.noun()}Id) throws ${w.pascal()}Exception {`,
    ...Array.from({ length: w.r.int(3, 9) }, () =>
      w.r.pick([
        `        ${w.pascal()} ${w.noun()} = ${w.noun()}Repository.findById(${w.noun()}Id).orElseThrow();`,
        `        String apiKey = System.getenv("${w.upper()}_API_KEY");`,
        `        String token = tokenProvider.getToken("${w.noun()}");`,
        `        char[] password = keyStore.getPassword("${w.noun()}");`,
        `        log.info("${w.sentence()} id={}", ${w.noun()}Id);`,
        `        // ${w.sentence()}`,
        `        headers.add(HttpHeaders.AUTHORIZATION, "Bearer " + token);`,
        `        int ${w.noun()}Count = ${w.noun()}.get${w.pascal()}().size();`,
      ]),
    ),
    `        return ${w.noun()};`,
    '    }',
    '',
  ],
  (w) => [`import com.example.${w.noun()}.${w.pascal()};`],
];

const RB_UNITS: Unit[] = [
  (w) => [
    `  # ${w.sentence()}`,
    `  def ${w.snake()}(${w.noun()}_id)`,
    ...Array.from({ length: w.r.int(2, 8) }, () =>
      w.r.pick([
        `    ${w.noun()} = ${w.pascal()}.find_by(id: ${w.noun()}_id)`,
        `    api_key = ENV.fetch("${w.upper()}_API_KEY")`,
        `    token = Rails.application.credentials.dig(:${w.noun()}, :token)`,
        `    password = params.require(:user).permit(:password)[:password]`,
        `    Rails.logger.info("${w.sentence()}")`,
        `    return if ${w.noun()}.nil?`,
        `    ${w.noun()}.update!(${w.noun()}: ${w.noun()}_params[:${w.noun()}])`,
      ]),
    ),
    '  end',
    '',
  ],
];

const SH_UNITS: Unit[] = [
  (w) => [
    `# ${w.sentence()}`,
    `${w.snake()}() {`,
    `  local ${w.noun()}="$1"`,
    w.r.pick([
      '  export API_TOKEN="${API_TOKEN:?set API_TOKEN}"',
      `  curl -fsS -H "Authorization: Bearer \${TOKEN}" "https://${w.host()}/v1/${w.noun()}s" -o "/tmp/${w.noun()}.json"`,
      `  aws secretsmanager get-secret-value --secret-id "${w.noun()}/\${ENV}" --query SecretString --output text`,
      `  kubectl -n ${w.noun()} create secret generic ${w.noun()}-creds --from-literal=password="\${DB_PASSWORD}"`,
      '  cd "$(dirname "$0")" && pwd',
    ]),
    `  echo "${w.verb()} \${${w.noun()}} done"`,
    '}',
    '',
  ],
];

const ENV_UNITS: Unit[] = [
  (w) => [`# ${w.sentence()}`],
  (w) => [`${w.upper()}_HOST=${w.host()}`, `${w.upper()}_PORT=${w.r.int(1024, 65535)}`],
  (w) => [`${w.upper()}_PASSWORD=`, `${w.upper()}_API_KEY=`],
  (w) => [`${w.upper()}_TIMEOUT_MS=${w.num(60000)}`],
  (w) => [`${w.upper()}_ENABLED=${w.r.pick(['true', 'false'])}`],
  (w) => [`LOG_LEVEL=${w.r.pick(['info', 'debug', 'warn'])}`],
  (w) => [`${w.upper()}_URL=https://${w.host()}/v1/${w.noun()}`],
];

const YAML_UNITS: Unit[] = [
  (w) => [
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${w.noun()}-${w.noun()}`,
    'spec:',
    `  replicas: ${w.r.int(1, 6)}`,
    '  template:',
    '    spec:',
    '      containers:',
    `        - name: ${w.noun()}`,
    `          image: registry.example.com/${w.noun()}:${w.r.int(1, 9)}.${w.r.int(0, 20)}.${w.r.int(0, 9)}`,
    '          env:',
    '            - name: DB_PASSWORD',
    '              valueFrom:',
    '                secretKeyRef:',
    `                  name: ${w.noun()}-db`,
    '                  key: password',
    `            - name: ${w.upper()}`,
    `              value: "${w.noun()}"`,
  ],
  (w) => [
    `${w.noun()}:`,
    `  host: ${w.host()}`,
    `  port: ${w.r.int(1024, 65535)}`,
    `  username: ${w.noun()}_svc`,
    '  password: ${' + w.upper() + '_PASSWORD}',
    `  timeout: ${w.r.int(1, 120)}s`,
    `  # ${w.sentence()}`,
  ],
  (w) => [`- name: ${w.sentence()}`, `  run: npm run ${w.verb()}`, '  env:', '    NPM_TOKEN: ${{ secrets.NPM_TOKEN }}'],
];

function jsonValue(w: Words, depth: number): string {
  const k = w.r.int(0, depth > 2 ? 5 : 7);
  switch (k) {
    case 0:
      return String(w.num());
    case 1:
      return w.r.pick(['true', 'false', 'null']);
    case 2:
      return `"${w.noun()}"`;
    case 3:
      return `"https://${w.host()}/${w.noun()}"`;
    case 4:
      return `"${w.uuid()}"`;
    case 5:
      return `"${w.sentence()}"`;
    case 6:
      return `[${Array.from({ length: w.r.int(1, 4) }, () => `"${w.noun()}"`).join(', ')}]`;
    default:
      return 'OBJECT';
  }
}

/** Names a reader would take for a credential field; clean text never gives them a random value. */
const SENSITIVE = /key|token|secret|password|credential|auth|signature|cookie/i;

function jsonObject(w: Words, indent: string, depth: number, out: string[]): void {
  const n = w.r.int(2, 7);
  for (let i = 0; i < n; i++) {
    const key = w.r.chance(0.5) ? w.noun() : `${w.noun()}${cap(w.noun())}`;
    const comma = i < n - 1 ? ',' : '';
    let v = jsonValue(w, depth);
    // A UUID under "secret" may well be one (some vendors issue UUID keys): keep those to the decoys.
    if (SENSITIVE.test(key) && v.startsWith('"') && /\d/.test(v)) v = `"\${${w.upper()}}"`;
    if (v === 'OBJECT') {
      out.push(`${indent}"${key}": {`);
      jsonObject(w, `${indent}  `, depth + 1, out);
      out.push(`${indent}}${comma}`);
    } else out.push(`${indent}"${key}": ${v}${comma}`);
  }
}

const PROPERTIES_UNITS: Unit[] = [
  (w) => [`# ${w.sentence()}`],
  (w) => [`${w.noun()}.${w.noun()}.${w.noun()}=${w.noun()}`],
  (w) => [
    `spring.datasource.url=jdbc:postgresql://${w.host()}:5432/${w.noun()}`,
    `spring.datasource.username=${w.noun()}`,
    'spring.datasource.password=${DB_PASSWORD}',
  ],
  (w) => [
    `${w.noun()}.client.secret=\${${w.upper()}_CLIENT_SECRET}`,
    `${w.noun()}.client.token-uri=https://${w.host()}/oauth/token`,
  ],
  (w) => [`server.port=${w.r.int(1024, 65535)}`],
];

function logLine(w: Words, i: number): string {
  switch (w.r.int(0, 5)) {
    case 0:
    case 1:
      return `${w.time(i)} ${w.r.pick(LEVELS)} [worker-${w.r.int(1, 16)}] c.e.${w.pascal()}Service - ${w.sentence()} requestId=${w.uuid()} durationMs=${w.num(900)}`;
    case 2:
      return `${w.ip()} - - [12/May/2024:10:${String(w.r.int(0, 59)).padStart(2, '0')}:${String(w.r.int(0, 59)).padStart(2, '0')} +0000] "${w.r.pick(HTTP)} /api/v1/${w.noun()}s/${w.num(99999)}?page=${w.r.int(1, 9)} HTTP/1.1" ${w.r.pick([200, 200, 200, 201, 204, 301, 401, 403, 404, 500])} ${w.num(90000)} "-" "Mozilla/5.0 (X11; Linux x86_64)"`;
    case 3:
      return `${w.time(i)} INFO auth: token refreshed for client_id=${w.noun()}-${w.noun()} expires_in=3600 scope="${w.noun()}:read ${w.noun()}:write"`;
    case 4:
      return `${w.time(i)} WARN ${w.noun()}: retrying ${w.verb()} ${w.noun()} after error="connection reset by peer" attempt=${w.r.int(1, 5)}`;
    default:
      return `${w.time(i)} DEBUG cache ${w.r.pick(['hit', 'miss'])} key=${w.noun()}:${w.hex(12)} ttl=${w.num(3600)}`;
  }
}

/** A minified statement: short names, no spaces, the vocabulary bundles carry (headers, token handling). */
function minStatement(w: Words): string {
  const a = w.r.chars('abcdefghijklmnopqrstuvwxyz', 1);
  const b = w.r.chars('abcdefghijklmnopqrstuvwxyz', 1) + w.r.chars(ALNUM, 1);
  switch (w.r.int(0, 7)) {
    case 0:
      return `function ${b}(${a},e){return ${a}.${w.noun()}&&e.${w.noun()}?${a}:e}`;
    case 1:
      return `var ${b}=${a}.${w.noun()}||{${w.noun()}:${w.num(100)},${w.noun()}:"${w.noun()}"}`;
    case 2:
      return `${a}.headers.Authorization="Bearer "+${b}.token`;
    case 3:
      return `if(!${a}.apiKey)throw new Error("${w.sentence()}")`;
    case 4:
      return `${b}.prototype.${w.camel()}=function(${a}){return this._${w.noun()}.get(${a})}`;
    case 5:
      return `for(var ${a}=0;${a}<${b}.length;${a}++)${b}[${a}].${w.noun()}=!0`;
    case 6:
      return `${a}=${b}("${w.noun()}-${w.noun()}",{password:${a}.password,token:${a}.token})`;
    default:
      return `${b}.exports={${w.camel()}:${a},${w.camel()}:${b}}`;
  }
}

const MD_UNITS: Unit[] = [
  (w) => [`## ${cap(w.verb())} the ${w.noun()}`, '', `${w.sentence()} ${w.sentence()} ${w.sentence()}`, ''],
  (w) => [
    '```sh',
    `export API_TOKEN=<your-token>`,
    `${w.noun()}ctl ${w.verb()} --${w.noun()} ${w.noun()} --token "$API_TOKEN"`,
    '```',
    '',
  ],
  (w) => [`- ${w.sentence()}`, `- ${w.sentence()}`, `- \`${w.camel()}()\` ${w.sentence().toLowerCase()}`, ''],
  (w) => [
    '| name | description |',
    '| --- | --- |',
    ...Array.from({ length: w.r.int(2, 6) }, () => `| \`${w.upper()}\` | ${w.sentence()} |`),
    '',
  ],
];

/**
 * What a JSON or YAML file of a real repository is: mostly package manifests, tool and application
 * configuration, CI workflows and Compose files; some Kubernetes manifests and CloudFormation
 * templates; a few large generated files. Only some are what a posture analyzer reads.
 */
export type DataVariant =
  | 'package'
  | 'tsconfig'
  | 'records'
  | 'openapi'
  | 'lock'
  | 'policy'
  | 'k8s'
  | 'workflow'
  | 'compose'
  | 'appconfig'
  | 'cfn'
  | 'helm';

/** Relative weights (by file count) of each variant, per kind. */
export const DATA_VARIANTS: Record<'json' | 'yaml', ReadonlyArray<[DataVariant, number]>> = {
  json: [
    ['package', 38],
    ['tsconfig', 18],
    ['records', 24],
    ['openapi', 8],
    ['lock', 3],
    ['policy', 4],
    ['cfn', 5],
  ],
  yaml: [
    ['appconfig', 26],
    ['workflow', 20],
    ['compose', 12],
    ['k8s', 22],
    ['helm', 10],
    ['cfn', 10],
  ],
};

function packageJson(w: Words, targetBytes: number, minLines: number): string[] {
  const name = `@${w.noun()}/${w.noun()}-${w.noun()}`;
  const lines = [
    '{',
    `  "name": "${name}",`,
    `  "version": "${w.r.int(0, 4)}.${w.r.int(0, 30)}.${w.r.int(0, 9)}",`,
    `  "description": "${w.sentence()}",`,
    '  "main": "dist/index.js",',
    '  "type": "module",',
    '  "scripts": {',
    '    "build": "tsc -p tsconfig.json",',
    '    "test": "node --test dist",',
    `    "${w.verb()}": "node scripts/${w.verb()}-${w.noun()}.js"`,
    '  },',
    '  "dependencies": {',
  ];
  let bytes = 0;
  for (const l of lines) bytes += l.length + 1;
  const deps: string[] = [];
  while (bytes < targetBytes - 40 || lines.length + deps.length < minLines) {
    const l = `    "${w.r.chance(0.3) ? `@${w.noun()}/` : ''}${w.noun()}-${w.noun()}": "^${w.r.int(0, 12)}.${w.r.int(0, 40)}.${w.r.int(0, 20)}"`;
    deps.push(l);
    bytes += l.length + 2;
  }
  lines.push(deps.join(',\n'), '  },', '  "license": "MIT"', '}');
  return lines;
}

function tsconfigJson(w: Words, targetBytes: number, minLines: number): string[] {
  const lines = ['{', '  "compilerOptions": {', '    "target": "ES2022",', '    "module": "NodeNext",', '    "strict": true,'];
  let bytes = 80;
  const opts: string[] = [];
  while (bytes < targetBytes - 60 || lines.length + opts.length < minLines) {
    const l = `    "${w.verb()}${cap(w.noun())}": ${w.r.pick(['true', 'false', `"${w.noun()}"`])}`;
    opts.push(l);
    bytes += l.length + 2;
  }
  lines.push(opts.join(',\n'), '  },', `  "include": ["src/**/*.ts", "${w.noun()}/**/*.ts"]`, '}');
  return lines;
}

function openapiJson(w: Words, targetBytes: number, minLines: number): string[] {
  const lines = ['{', '  "openapi": "3.0.3",', `  "info": { "title": "${w.pascal()} API", "version": "1.0.0" },`, '  "paths": {'];
  let bytes = 100;
  const paths: string[] = [];
  while (bytes < targetBytes - 20 || lines.length + paths.length * 8 < minLines) {
    const p = [
      `    "/v1/${w.noun()}s/{${w.noun()}Id}": {`,
      `      "${w.r.pick(['get', 'post', 'put', 'delete'])}": {`,
      `        "summary": "${w.sentence()}",`,
      `        "operationId": "${w.camel()}",`,
      '        "security": [{ "bearerAuth": [] }],',
      `        "responses": { "200": { "description": "${w.sentence()}" } }`,
      '      }',
      '    }',
    ].join('\n');
    paths.push(p);
    bytes += p.length + 2;
  }
  lines.push(paths.join(',\n'), '  }', '}');
  return lines;
}

function lockJson(w: Words, targetBytes: number, minLines: number): string[] {
  const lines = ['{', `  "name": "${w.noun()}-${w.noun()}",`, '  "lockfileVersion": 3,', '  "packages": {'];
  let bytes = 80;
  const pkgs: string[] = [];
  while (bytes < targetBytes - 20 || lines.length + pkgs.length * 5 < minLines) {
    const n = `${w.noun()}-${w.noun()}`;
    const v = `${w.r.int(0, 9)}.${w.r.int(0, 30)}.${w.r.int(0, 9)}`;
    const p = [
      `    "node_modules/${n}": {`,
      `      "version": "${v}",`,
      `      "resolved": "https://registry.npmjs.org/${n}/-/${n}-${v}.tgz",`,
      `      "integrity": "sha512-${w.r.chars(ALNUM, 86)}=="`,
      '    }',
    ].join('\n');
    pkgs.push(p);
    bytes += p.length + 2;
  }
  lines.push(pkgs.join(',\n'), '  }', '}');
  return lines;
}

function policyJson(w: Words, targetBytes: number, minLines: number): string[] {
  const lines = ['{', '  "Version": "2012-10-17",', '  "Statement": ['];
  let bytes = 60;
  const st: string[] = [];
  while (bytes < targetBytes - 10 || lines.length + st.length * 6 < minLines) {
    const s = [
      '    {',
      '      "Effect": "Allow",',
      `      "Action": ["s3:GetObject", "s3:ListBucket", "${w.r.pick(['sqs', 'sns', 'dynamodb', 'kms'])}:${cap(w.verb())}${cap(w.noun())}"],`,
      `      "Resource": "arn:aws:s3:::${w.noun()}-${w.noun()}/*"`,
      '    }',
    ].join('\n');
    st.push(s);
    bytes += s.length + 2;
  }
  lines.push(st.join(',\n'), '  ]', '}');
  return lines;
}

function cfnJson(w: Words, targetBytes: number, minLines: number): string[] {
  const lines = ['{', '  "AWSTemplateFormatVersion": "2010-09-09",', `  "Description": "${w.sentence()}",`, '  "Resources": {'];
  let bytes = 100;
  const res: string[] = [];
  while (bytes < targetBytes - 10 || lines.length + res.length * 8 < minLines) {
    const r = [
      `    "${w.pascal()}${res.length}": {`,
      '      "Type": "AWS::S3::Bucket",',
      '      "Properties": {',
      `        "BucketName": "${w.noun()}-${w.noun()}-${res.length}",`,
      '        "VersioningConfiguration": { "Status": "Enabled" }',
      '      }',
      '    }',
    ].join('\n');
    res.push(r);
    bytes += r.length + 2;
  }
  lines.push(res.join(',\n'), '  }', '}');
  return lines;
}

const WORKFLOW_JOB: Unit = (w) => [
  `  ${w.verb()}-${w.noun()}:`,
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - uses: actions/checkout@v4',
  '      - uses: actions/setup-node@v4',
  '        with:',
  '          node-version: 20',
  '      - run: npm ci',
  `      - run: npm run ${w.verb()}`,
  '        env:',
  '          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}',
];

const COMPOSE_SERVICE: Unit = (w) => [
  `  ${w.noun()}-${w.noun()}:`,
  `    image: registry.example.com/${w.noun()}:${w.r.int(1, 9)}.${w.r.int(0, 20)}`,
  '    ports:',
  `      - "${w.r.int(1024, 9999)}:${w.r.int(1024, 9999)}"`,
  '    environment:',
  `      ${w.upper()}_HOST: ${w.host()}`,
  '      DB_PASSWORD: ${DB_PASSWORD}',
  `    depends_on: [${w.noun()}]`,
];

const K8S_UNITS: Unit[] = [
  YAML_UNITS[0]!,
  (w) => [
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    `  name: ${w.noun()}-${w.noun()}`,
    'spec:',
    '  ports:',
    `    - port: ${w.r.int(80, 9000)}`,
    `      targetPort: ${w.r.int(80, 9000)}`,
  ],
  (w) => [
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${w.noun()}-config`,
    'data:',
    `  ${w.upper()}: "${w.noun()}"`,
    `  ${w.upper()}_URL: "https://${w.host()}/v1"`,
  ],
];

const HELM_UNITS: Unit[] = [
  (w) => [
    `${w.noun()}:`,
    '  enabled: true',
    `  replicaCount: ${w.r.int(1, 5)}`,
    '  image:',
    `    repository: ${w.noun()}/${w.noun()}`,
    `    tag: "${w.r.int(1, 9)}.${w.r.int(0, 9)}"`,
  ],
  (w) => [`  # ${w.sentence()}`, `  ${w.noun()}: ${w.r.pick(['true', 'false', String(w.num(100))])}`],
  (w) => ['resources:', '  limits:', `    cpu: ${w.r.int(100, 2000)}m`, `    memory: ${w.r.int(128, 4096)}Mi`],
];

const CFN_YAML_UNIT: Unit = (w) => [
  `  ${w.pascal()}${w.num(999)}:`,
  '    Type: AWS::SQS::Queue',
  '    Properties:',
  `      QueueName: ${w.noun()}-${w.noun()}`,
  `      VisibilityTimeout: ${w.r.int(30, 900)}`,
];

/**
 * The lines of one clean JSON or YAML file of a given variant (see DataVariant).
 * @example dataLines('package', createRng(1), 2_000, 0)
 */
export function dataLines(variant: DataVariant, r: Rng, targetBytes: number, minLines: number): string[] {
  const w = new Words(r);
  let lines: string[];
  switch (variant) {
    case 'package':
      lines = packageJson(w, targetBytes, minLines);
      break;
    case 'tsconfig':
      lines = tsconfigJson(w, targetBytes, minLines);
      break;
    case 'openapi':
      lines = openapiJson(w, targetBytes, minLines);
      break;
    case 'lock':
      lines = lockJson(w, targetBytes, minLines);
      break;
    case 'policy':
      lines = policyJson(w, targetBytes, minLines);
      break;
    case 'cfn':
      lines = cfnJson(w, targetBytes, minLines);
      break;
    case 'records':
      lines = generate('json', r, targetBytes, minLines);
      break;
    case 'appconfig':
      lines = fill(w, YAML_UNITS.slice(1, 2), targetBytes, minLines);
      break;
    case 'workflow':
      lines = fill(w, [WORKFLOW_JOB], targetBytes, minLines, [
        `name: ${w.verb()}`,
        'on:',
        '  push:',
        '    branches: [main]',
        '  pull_request:',
        'permissions:',
        '  contents: read',
        'jobs:',
      ]);
      break;
    case 'compose':
      lines = fill(w, [COMPOSE_SERVICE], targetBytes, minLines, ['services:']);
      break;
    case 'k8s':
      lines = fill(w, K8S_UNITS, targetBytes, minLines);
      break;
    case 'helm':
      lines = fill(w, HELM_UNITS, targetBytes, minLines);
      break;
  }
  return lines.flatMap((l) => (l.includes('\n') ? l.split('\n') : [l]));
}

/** A CloudFormation template in YAML (the cfn variant of a .yaml file). */
export function cfnYamlLines(r: Rng, targetBytes: number, minLines: number): string[] {
  const w = new Words(r);
  return fill(w, [CFN_YAML_UNIT], targetBytes, minLines, [
    "AWSTemplateFormatVersion: '2010-09-09'",
    `Description: ${w.sentence()}`,
    'Resources:',
  ]);
}

/**
 * The lines of one clean file of `kind`, about `targetBytes` long and at least `minLines` lines (room
 * for the plants it will receive).
 * @example cleanLines('ts', createRng(1), 20_000, 0)
 */
export function cleanLines(kind: FileKind, r: Rng, targetBytes: number, minLines: number): string[] {
  // Some units emit a multi-line string as one element; line numbers of plants need one element per line.
  return generate(kind, r, targetBytes, minLines).flatMap((l) => (l.includes('\n') ? l.split('\n') : [l]));
}

function generate(kind: FileKind, r: Rng, targetBytes: number, minLines: number): string[] {
  const w = new Words(r);
  switch (kind) {
    case 'ts':
      return fill(w, TS_UNITS, targetBytes, minLines, [
        "import { createHash } from 'node:crypto';",
        "import { logger } from './logger.js';",
        '',
      ]);
    case 'py':
      return fill(w, PY_UNITS, targetBytes, minLines, [
        'import logging',
        'import os',
        'from typing import Optional',
        '',
        'logger = logging.getLogger(__name__)',
        '',
      ]);
    case 'go':
      return fill(w, GO_UNITS, targetBytes, minLines, [
        `package ${w.noun()}`,
        '',
        'import (',
        '\t"context"',
        '\t"fmt"',
        '\t"os"',
        ')',
        '',
      ]);
    case 'java':
      return fill(w, JAVA_UNITS, targetBytes, minLines, [
        `package com.example.${w.noun()};`,
        '',
        `public class ${w.pascal()}Service {`,
      ]).concat(['}']);
    case 'rb':
      return fill(w, RB_UNITS, targetBytes, minLines, [`class ${w.pascal()}Controller < ApplicationController`]).concat(['end']);
    case 'sh':
      return fill(w, SH_UNITS, targetBytes, minLines, ['#!/usr/bin/env bash', 'set -euo pipefail', '']);
    case 'env':
      return fill(w, ENV_UNITS, targetBytes, minLines);
    case 'yaml':
      return fill(w, YAML_UNITS, targetBytes, minLines);
    case 'properties':
      return fill(w, PROPERTIES_UNITS, targetBytes, minLines);
    case 'md':
      return fill(w, MD_UNITS, targetBytes, minLines, [`# ${w.pascal()}`, '', w.sentence(), '']);
    case 'json': {
      // An array of objects keeps the document valid however many records are needed.
      const lines = ['['];
      let bytes = 2;
      while (bytes < targetBytes || lines.length < minLines) {
        const obj: string[] = [];
        jsonObject(w, '    ', 1, obj);
        if (lines.length > 1) lines[lines.length - 1] += ',';
        lines.push('  {', ...obj, '  }');
        for (const l of obj) bytes += l.length + 1;
      }
      lines.push(']');
      return lines;
    }
    case 'log': {
      const lines: string[] = [];
      let bytes = 0;
      while (bytes < targetBytes || lines.length < minLines) {
        const l = logLine(w, lines.length);
        lines.push(l);
        bytes += l.length + 1;
      }
      return lines;
    }
    case 'minjs': {
      // Bundles have a few very long lines (tens to hundreds of kilobytes each).
      const lines: string[] = ['/*! bundle.min.js | MIT */'];
      let bytes = 0;
      while (bytes < targetBytes || lines.length < minLines) {
        const lineBytes = Math.min(r.int(20_000, 400_000), Math.max(200, targetBytes - bytes));
        const parts: string[] = [];
        let n = 0;
        while (n < lineBytes) {
          const s = minStatement(w);
          parts.push(s);
          n += s.length + 1;
        }
        const l = `${parts.join(';')};`;
        lines.push(l);
        bytes += l.length + 1;
      }
      return lines;
    }
  }
}

/** File extensions (or whole names) per kind, for realistic paths. */
export const EXTENSIONS: Record<FileKind, readonly string[]> = {
  ts: ['.ts', '.js', '.tsx'],
  py: ['.py'],
  go: ['.go'],
  java: ['.java', '.kt'],
  rb: ['.rb'],
  sh: ['.sh'],
  env: ['.env', '.env.production', '.env.local'],
  yaml: ['.yaml', '.yml'],
  json: ['.json'],
  properties: ['.properties', '.ini'],
  log: ['.log'],
  minjs: ['.min.js'],
  md: ['.md'],
};

/** Average line length per kind, to size files that must hold a given number of plants. */
export const AVG_LINE: Record<FileKind, number> = {
  ts: 45,
  py: 45,
  go: 40,
  java: 50,
  rb: 40,
  sh: 40,
  env: 30,
  yaml: 25,
  json: 30,
  properties: 35,
  log: 150,
  minjs: 200_000,
  md: 60,
};
