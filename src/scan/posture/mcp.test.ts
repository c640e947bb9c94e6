// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are MCP config references (${VAR}, ${input:id}) under test, not template placeholders
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import { createRandom, expandExample } from '../secrets/examples.js';
import { createPostureContext } from './context.js';
import { assertAgreement, fixtureSamples, type Sample, variants } from './fast-path-agreement.js';
import { loadPostureRules } from './load-rules.js';
import { mcpAnalyzer, mcpExactAnalyzer, stripJsonc } from './mcp.js';

/** Rule ids raised by one MCP server config, given as the object under `mcpServers`. */
async function rulesFor(server: unknown, path = '.cursor/mcp.json'): Promise<string[]> {
  // Generators keep credential-shaped literals out of the source; they expand here.
  const text = expandExample(JSON.stringify({ mcpServers: { s: server } }, null, 2), createRandom(7));
  const run = createPostureContext(path, text, loadPostureRules());
  await mcpAnalyzer.analyze(run.ctx);
  assert.deepEqual(run.malformed, []);
  return [...new Set(run.findings.map((f) => f.ruleId))].sort();
}

const stdio = (env: Record<string, string>) => ({ command: 'node', args: ['server.js'], env });

describe('mcp: plaintext secrets', () => {
  const flagged: Array<[string, string]> = [
    ['GITHUB_TOKEN', '@@crc:ghp_@@'],
    ['OPENAI_API_KEY', '@@lit:sk-|proj-@@@@Aa0:40@@'],
    ['DB_PASSWORD', '@@pw:20@@'],
    ['apiKey', '@@a0:32@@'],
    ['SOME_SETTING', '@@lit:xox|b-@@@@0:12@@-@@Aa0:24@@'], // a known shape whatever the name
  ];
  for (const [name, value] of flagged) {
    test(`flags ${name}`, async () => {
      assert.deepEqual(await rulesFor(stdio({ [name]: value })), ['posture.mcp.plaintext-secret']);
    });
  }

  const clean: Array<[string, string]> = [
    ['GITHUB_TOKEN', '${GITHUB_TOKEN}'],
    ['GITHUB_TOKEN', '${env:GITHUB_TOKEN}'],
    ['GITHUB_TOKEN', '${input:github_token}'],
    ['GITHUB_TOKEN', '<YOUR_TOKEN>'],
    ['GITHUB_PERSONAL_ACCESS_TOKEN', 'ghp_...'],
    ['GITHUB_PERSONAL_ACCESS_TOKEN', 'github_pat_你的实际令牌'],
    ['GITHUB_PERSONAL_ACCESS_TOKEN', 'ghp_xxxxxxxxxxxxxxxxxxxx'],
    ['BRAVE_API_KEY', 'YOUR_API_KEY_HERE'],
    ['API_KEY', 'your-api-key'],
    ['API_KEY', 'test-api-key-123'],
    ['AUTH_TYPE', 'oauth2-client-credentials'],
    ['TOKEN_URL', 'https://auth.example.com/oauth/token'],
    ['GOOGLE_APPLICATION_CREDENTIALS', '/home/me/.config/gcloud/key.json'],
    ['SESSION_MODE', 'persistent'],
    ['KEY_FILE', './secrets/key.pem'],
    ['LOG_LEVEL', 'debug'],
    ['PORT', '8080'],
    ['DATABASE_URL', 'postgres://postgres:postgres@localhost:5432/dev'],
  ];
  for (const [name, value] of clean) {
    test(`leaves ${name}=${value}`, async () => {
      assert.deepEqual(await rulesFor(stdio({ [name]: value })), []);
    });
  }

  test('flags a password in a connection-string argument', async () => {
    const server = { command: 'node', args: ['pg.js', 'postgresql://app:@@Aa0:16@@@db.example.com/app'] };
    assert.deepEqual(await rulesFor(server), ['posture.mcp.plaintext-secret']);
  });

  test('flags --api-key on the command line and docker -e NAME=value, not -e NAME', async () => {
    assert.deepEqual(await rulesFor({ command: 'node', args: ['s.js', '--api-key', '@@a0:32@@'] }), [
      'posture.mcp.plaintext-secret',
    ]);
    const docker = (e: string) => ({ command: 'docker', args: ['run', '-i', '--rm', '-e', e, 'mcp/slack@sha256:@@x:64@@'] });
    assert.deepEqual(await rulesFor(docker('SLACK_BOT_TOKEN=@@lit:xox|b-@@@@0:12@@-@@Aa0:24@@')), [
      'posture.mcp.plaintext-secret',
    ]);
    assert.deepEqual(await rulesFor(docker('SLACK_BOT_TOKEN')), []);
  });

  test('evidence is redacted', async () => {
    const text = expandExample(JSON.stringify({ mcpServers: { gh: stdio({ GITHUB_TOKEN: '@@crc:ghp_@@' }) } }), createRandom(3));
    const token = /ghp_[A-Za-z0-9]+/.exec(text)![0];
    const run = createPostureContext('mcp.json', text, loadPostureRules());
    await mcpAnalyzer.analyze(run.ctx);
    assert.equal(run.findings.length, 1);
    assert.ok(!run.findings[0]!.preview.includes(token.slice(8)), run.findings[0]!.preview);
  });
});

describe('mcp: unpinned packages', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['npx', ['-y', '@modelcontextprotocol/server-github'], true],
    ['npx', ['@playwright/mcp@latest'], true],
    ['npx', ['-y', '@scope/pkg@^1.2.0'], true],
    ['npx', ['-y', '@scope/pkg@1.2.0'], false],
    ['npx', ['-y', 'pkg@1.2.0-beta.1'], false],
    ['npx', ['-y', '--package=@scope/pkg@2.0.1', 'pkg-bin'], false],
    ['npx', ['-y', 'github:example/mcp'], true],
    ['npx', ['-y', './local/server'], false],
    ['pnpm', ['dlx', 'some-mcp'], true],
    ['bunx', ['some-mcp@0.3.0'], false],
    ['uvx', ['mcp-server-fetch'], true],
    ['uvx', ['mcp-server-fetch==2025.4.7'], false],
    ['uvx', ['mcp-server-fetch@2025.4.7'], false],
    ['uvx', ['--from', 'git+https://github.com/example/mcp@0123456789abcdef0123456789abcdef01234567', 'mcp'], false],
    ['uvx', ['--python', '3.12', 'mcp-server-time>=1.0'], true],
    ['uv', ['run', '--directory', '/srv/mcp', 'server.py'], false],
    ['docker', ['run', '-i', '--rm', 'mcp/fetch'], true],
    ['docker', ['run', '-i', '--rm', 'mcp/fetch:latest'], true],
    ['docker', ['run', '-i', '--rm', '-e', 'TOKEN', 'ghcr.io/org/mcp:1.4.0'], false],
    ['docker', ['run', '-i', '--rm', 'localhost:5000/mcp'], true],
    ['node', ['build/index.js'], false],
  ];
  for (const [command, args, unpinned] of cases) {
    test(`${command} ${args.join(' ')}: ${unpinned ? 'unpinned' : 'fine'}`, async () => {
      assert.deepEqual(await rulesFor({ command, args }), unpinned ? ['posture.mcp.unpinned-package'] : []);
    });
  }
});

describe('mcp: shell, filesystem and remote servers', () => {
  test('filesystem server on a project directory is fine, on $HOME or C:\\ it is not', async () => {
    const fs = (dir: string) => ({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem@2025.7.1', dir] });
    assert.deepEqual(await rulesFor(fs('/Users/alice/work/site')), []);
    assert.deepEqual(await rulesFor(fs('${workspaceFolder}')), []);
    assert.deepEqual(await rulesFor(fs('$HOME')), ['posture.mcp.filesystem-root-access']);
    assert.deepEqual(await rulesFor(fs('C:\\')), ['posture.mcp.filesystem-root-access']);
    assert.deepEqual(await rulesFor(fs('/home/alice')), ['posture.mcp.filesystem-root-access']);
  });

  test('a shell used to start a server is not a shell server', async () => {
    assert.deepEqual(await rulesFor({ command: 'bash', args: ['-c', 'cd /srv/mcp && node dist/index.js'] }), []);
    assert.deepEqual(await rulesFor({ command: 'sh', args: ['/opt/mcp/start.sh'] }), []);
  });

  test('a shell server with an allow-list is fine', async () => {
    const shell = { command: 'uvx', args: ['mcp-shell-server==1.0.3'] };
    assert.deepEqual(await rulesFor(shell), ['posture.mcp.unrestricted-command-execution']);
    assert.deepEqual(await rulesFor({ ...shell, env: { ALLOW_COMMANDS: 'ls,cat' } }), []);
  });

  test('remote endpoints', async () => {
    assert.deepEqual(await rulesFor({ type: 'http', url: 'https://mcp.example.com/mcp' }), []);
    assert.deepEqual(await rulesFor({ type: 'sse', url: 'http://localhost:8000/sse' }), []);
    assert.deepEqual(await rulesFor({ type: 'sse', url: 'http://mcp.example.com/sse' }), [
      'posture.mcp.remote-insecure-transport',
    ]);
    assert.deepEqual(await rulesFor({ url: 'https://mcp.svc.cluster.local/mcp' }), ['posture.mcp.remote-internal-no-auth']);
    assert.deepEqual(
      await rulesFor({ url: 'https://mcp.svc.cluster.local/mcp', headers: { Authorization: 'Bearer ${MCP_TOKEN}' } }),
      [],
    );
    assert.deepEqual(await rulesFor({ url: '${MCP_URL}' }), []);
  });
});

describe('mcp: file handling', () => {
  test('stripJsonc removes comments and trailing commas, not string contents', () => {
    const text = '{\n  // c\n  "a": "http://x//y", /* b */\n  "b": [1, 2,],\n}';
    assert.deepEqual(JSON.parse(stripJsonc(text)), { a: 'http://x//y', b: [1, 2] });
  });

  test('accepts MCP config files by name or by content', () => {
    assert.ok(mcpAnalyzer.accepts('.vscode/mcp.json', '{}'));
    assert.ok(mcpAnalyzer.accepts('claude_desktop_config.json', '{}'));
    assert.ok(mcpAnalyzer.accepts('.gemini/settings.json', '{ "mcpServers": {} }'));
    assert.ok(!mcpAnalyzer.accepts('package.json', '{ "name": "x" }'));
    assert.ok(!mcpAnalyzer.accepts('.vscode/settings.json', '{ "editor.tabSize": 2 }'));
  });
});

describe('mcp: the fast pass', () => {
  test('agrees with the full parse on every fixture, the JSON ones restated as YAML, and their variants', async () => {
    const fixtures = fixtureSamples('mcp');
    const asYaml: Sample[] = [];
    for (const f of fixtures) {
      try {
        asYaml.push({ path: '.continue/mcpServers/config.yaml', text: toYaml(JSON.parse(stripJsonc(f.text))) });
      } catch {
        // malformed on purpose
      }
    }
    const samples = [...fixtures, ...asYaml].flatMap(variants);
    const withFindings = await assertAgreement(mcpAnalyzer, mcpExactAnalyzer, samples);
    assert.ok(
      asYaml.length >= 6 && withFindings > 100 && withFindings < samples.length - 30,
      `${withFindings}/${samples.length}`,
    );
  });

  test('agrees on YAML where js-yaml and yaml could part ways', async () => {
    const texts = [
      'mcpServers:\n  - name: db\n    command: uvx\n    args: [mcp-server-sqlite==2025.4.25]\n',
      'mcpServers:\n  - name: db\n    command: uvx\n    args: [mcp-server-sqlite==2025.4.25]\n    env: { API_TOKEN: &t "sk-live-0123456789abcdef0123" }\n',
      'mcpServers:\n  db:\n    command: uvx\n    args: [mcp-server-sqlite==2025.4.25]\n  db:\n    command: bash\n',
      'mcpServers:\n  ~:\n    command: uvx\n    args: [mcp-server-sqlite==2025.4.25, 0x1F, 1_000, .5]\n',
      '%YAML 1.1\n---\nmcpServers:\n  db:\n    command: uvx\n    args: [mcp-server-sqlite==2025.4.25]\n',
      'mcpServers:\n  db: !server\n    command: bash\n',
      'mcpServers: {}\n---\nmcpServers:\n  db: { command: bash }\n',
    ];
    await assertAgreement(
      mcpAnalyzer,
      mcpExactAnalyzer,
      texts.flatMap((text) => variants({ path: '.continue/mcpServers/db.yaml', text })),
    );
  });
});
