import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTable, escapeControl, formatTable, terminalWidth, termSafe, truncateMiddle } from './terminal.js';

test('escapeControl makes C0, C1, DEL, ESC and bidi controls visible', () => {
  const esc = String.fromCharCode(0x1b);
  assert.equal(escapeControl(`a${esc}[2Jb`), 'a\\e[2Jb');
  assert.equal(escapeControl('x\ny\rz\t'), 'x\\ny\\rz\\t');
  assert.equal(escapeControl(`${String.fromCharCode(0x9b)}31m`), '\\x9b31m');
  assert.equal(escapeControl(String.fromCharCode(0x7f)), '\\x7f');
  assert.equal(escapeControl('\u202e'), '\\u202e');
  assert.equal(escapeControl('plain arn:aws:iam::1:user/x'), 'plain arn:aws:iam::1:user/x');
  // An OSC 8 hyperlink: nothing of it may act.
  const osc = `${esc}]8;;http://evil${esc}\\click${esc}]8;;${esc}\\`;
  assert.doesNotMatch(escapeControl(osc), /[\u0000-\u001f\u007f-\u009f]/);
});

test('truncateMiddle keeps both ends of a long id and never splits a surrogate pair', () => {
  const arn = 'arn:aws:iam::123456789012:user/ci-deployer';
  const cut = truncateMiddle(arn, 30);
  assert.equal(Array.from(cut).length, 30);
  assert.ok(cut.startsWith('arn:aws:iam'));
  assert.ok(cut.endsWith('ci-deployer'));
  assert.equal(truncateMiddle('short', 30), 'short');
  const emoji = '😀'.repeat(50);
  assert.equal(Array.from(truncateMiddle(emoji, 11)).length, 11);
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(truncateMiddle(emoji, 11)));
});

test('termSafe escapes before cutting, so a cut cannot leave an escape open, and caps length', () => {
  const esc = String.fromCharCode(0x1b);
  const hostile = `${'a'.repeat(100_000)}${esc}[2J`;
  const out = termSafe(hostile);
  assert.ok(Array.from(out).length <= 200);
  assert.doesNotMatch(out, /[\u0000-\u001f]/);
  assert.equal(termSafe(undefined), '');
  assert.equal(termSafe(42), '42');
});

test('formatTable: a header row, every cell escaped, lines within the width, ids cut in the middle', () => {
  const esc = String.fromCharCode(0x1b);
  const rows = [
    [
      'arn:aws:iam::123456789012:user/ci-deployer',
      'high',
      'a title long enough that it has to wrap onto a second line at this width',
    ],
    [`evil${esc}[2J\nforged`, 'low', 'short'],
  ];
  const out = formatTable([{ header: 'IDENTITY', min: 20 }, { header: 'SEVERITY' }, { header: 'TITLE', wrap: true }], rows, 60);
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^IDENTITY\s+SEVERITY\s+TITLE$/);
  for (const l of lines) assert.ok(Array.from(l).length <= 60, l);
  assert.doesNotMatch(out, /[\u0000-\u0009\u000b-\u001f]/);
  assert.match(out, /arn:aws:i.*….*ci-deployer/);
  assert.match(out, /evil\\e\[2J\\nforged/);
  assert.ok(lines.length >= 4, 'the title wrapped');
});

test('createTable drops optional columns only when the minimums do not fit', () => {
  const cols = [
    { header: 'A', min: 30 },
    { header: 'B', min: 30, optional: true },
    { header: 'C', min: 10 },
  ];
  assert.equal(createTable(cols, 120).header().trim().split(/\s+/).length, 3);
  const narrow = createTable(cols, 50);
  assert.deepEqual(narrow.header().trim().split(/\s+/), ['A', 'C']);
  assert.doesNotMatch(narrow.row(['a', 'b', 'c']), /b/);
});

test('terminalWidth: COLUMNS, then the terminal, then 80', () => {
  assert.equal(terminalWidth({ env: { COLUMNS: '132' }, columns: 100 }), 132);
  assert.equal(terminalWidth({ env: {}, columns: 100 }), 100);
  assert.equal(terminalWidth({ env: { COLUMNS: 'x' } }), 80);
});
