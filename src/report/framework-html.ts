import type { FrameworkReport, ReportControl } from './framework.js';

/*
 * A framework report as one standalone HTML page: inline CSS, no script, no external asset, so it can
 * be mailed, archived or attached to an audit as it is. Every string from the store (file names,
 * identity names, titles) is escaped: they are attacker-controlled.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text for HTML element content and quoted attribute values.
 * @example escapeHtml('<b>') // '&lt;b&gt;'
 */
export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const CSS = `
:root{color-scheme:light dark;--bg:#f7f8fa;--card:#fff;--fg:#14171f;--muted:#5b6472;--line:#dde1e8;--accent:#2456d6;
--critical:#b3123a;--high:#d2471b;--medium:#b07900;--low:#2d7d46;--info:#5b6472;--ok:#2d7d46;--gap:#8a93a3}
@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--card:#171b22;--fg:#e7eaf0;--muted:#9aa3b2;--line:#2a303b;--accent:#7aa2ff;
--critical:#ff5d7a;--high:#ff8a5c;--medium:#f2c14e;--low:#6fd08c;--info:#9aa3b2;--ok:#6fd08c;--gap:#6b7383}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:32px 20px 64px}h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:0}
a{color:var(--accent)}.muted{color:var(--muted)}.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:20px 0 28px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}.tile b{display:block;font-size:24px}
.bar{height:8px;border-radius:4px;background:var(--line);overflow:hidden;margin-top:8px}.bar i{display:block;height:100%;background:var(--ok)}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 14px}
.head{display:flex;gap:12px;align-items:baseline;flex-wrap:wrap}.id{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;border:1px solid currentColor}
.covered{color:var(--ok)}.gap{color:var(--gap)}.sev{font-size:12px;font-weight:600;text-transform:uppercase}
.critical{color:var(--critical)}.high{color:var(--high)}.medium{color:var(--medium)}.low{color:var(--low)}.info{color:var(--info)}
table{width:100%;border-collapse:collapse;margin-top:10px;font-size:13px}th,td{text-align:left;padding:5px 8px;border-top:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}
details{margin-top:8px}summary{cursor:pointer;color:var(--muted)}footer{margin-top:28px;font-size:12px}
@media print{body{background:#fff}section,.tile{break-inside:avoid}}
`;

function rulesTable(c: ReportControl): string {
  if (c.rules.length === 0) return '';
  const rows = c.rules
    .map(
      (r) =>
        `<tr><td><code>${escapeHtml(r.id)}</code></td><td>${escapeHtml(r.kind)}</td><td class="sev ${escapeHtml(r.severity)}">${escapeHtml(r.severity)}</td><td>${escapeHtml(r.title)}</td></tr>`,
    )
    .join('');
  return `<details><summary>${c.rules.length} rule(s) and detection(s) map here</summary><table><thead><tr><th scope="col">id</th><th scope="col">kind</th><th scope="col">severity</th><th scope="col">title</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

function findingsTable(c: ReportControl): string {
  if (c.findings.total === 0) return '';
  const rows = c.findings.items
    .map(
      (f) =>
        `<tr><td class="sev ${escapeHtml(f.severity)}">${escapeHtml(f.severity)}</td><td><code>${escapeHtml(f.ruleId)}</code></td><td>${escapeHtml(f.repository)}</td><td><code>${escapeHtml(f.path)}:${f.line}</code>${f.commit ? ` <span class="muted">@${escapeHtml(f.commit.slice(0, 10))}</span>` : ''}</td></tr>`,
    )
    .join('');
  const more =
    c.findings.total > c.findings.items.length
      ? `<p class="muted">and ${c.findings.total - c.findings.items.length} more</p>`
      : '';
  return `<table><caption class="muted" style="text-align:left">Findings (${c.findings.total})</caption><thead><tr><th scope="col">severity</th><th scope="col">rule</th><th scope="col">repository</th><th scope="col">location</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

function alertsTable(c: ReportControl): string {
  if (c.alerts.total === 0) return '';
  const rows = c.alerts.items
    .map(
      (a) =>
        `<tr><td class="sev ${escapeHtml(a.severity)}">${escapeHtml(a.severity)}</td><td>${escapeHtml(a.title)}</td><td><code>${escapeHtml(a.identity)}</code></td><td>${escapeHtml(a.status)}</td><td>${escapeHtml(a.lastSeen.slice(0, 16).replace('T', ' '))}</td></tr>`,
    )
    .join('');
  const more =
    c.alerts.total > c.alerts.items.length ? `<p class="muted">and ${c.alerts.total - c.alerts.items.length} more</p>` : '';
  return `<table><caption class="muted" style="text-align:left">Alerts (${c.alerts.total}, ${c.alerts.open} open)</caption><thead><tr><th scope="col">severity</th><th scope="col">alert</th><th scope="col">identity</th><th scope="col">state</th><th scope="col">last seen (UTC)</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

/**
 * The report as a complete HTML document.
 * @example writeFileSync('report.html', frameworkReportHtml(await frameworkReport('owasp-nhi', store)));
 */
export function frameworkReportHtml(report: FrameworkReport): string {
  const { framework: fw, summary: s } = report;
  const pct = s.controls === 0 ? 0 : Math.round((100 * s.covered) / s.controls);
  const sections = report.controls
    .map(
      (c) => `<section id="${escapeHtml(c.id)}" aria-labelledby="h-${escapeHtml(c.id)}">
<div class="head"><span class="id">${escapeHtml(c.id)}</span><h2 id="h-${escapeHtml(c.id)}">${escapeHtml(c.title)}</h2>
<span class="pill ${c.covered ? 'covered' : 'gap'}">${c.covered ? `covered by ${c.rules.length}` : 'not covered'}</span>
${c.findings.total + c.alerts.total > 0 ? `<span class="pill high">${c.findings.total} finding(s), ${c.alerts.total} alert(s)</span>` : ''}</div>
<p class="muted">${escapeHtml(c.description)}</p>${rulesTable(c)}${findingsTable(c)}${alertsTable(c)}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(fw.title)} ${escapeHtml(fw.version)} — Warden coverage report</title><style>${CSS}</style></head>
<body><main>
<p class="muted">Warden framework report · generated ${escapeHtml(report.generatedAt)}</p>
<h1>${escapeHtml(fw.title)} <span class="muted">${escapeHtml(fw.version)}</span></h1>
<p class="muted">Source: <a href="${escapeHtml(fw.source)}">${escapeHtml(fw.source)}</a></p>
<div class="tiles">
<div class="tile"><span class="muted">Controls covered</span><b>${s.covered} / ${s.controls}</b><div class="bar" role="img" aria-label="${pct}% covered"><i style="width:${pct}%"></i></div></div>
<div class="tile"><span class="muted">Controls with findings or alerts</span><b>${s.withFindings}</b></div>
<div class="tile"><span class="muted">Findings</span><b>${s.findings}</b></div>
<div class="tile"><span class="muted">Alerts (open)</span><b>${s.alerts} (${s.openAlerts})</b></div>
</div>
${sections}
<footer class="muted">A control is covered when at least one Warden rule or detection references it (rules/, src/detect/detections/). Findings and alerts are placed under the controls of the rule or detection that raised them; counts are complete, lists show the first ${50} of each.</footer>
</main></body></html>
`;
}
