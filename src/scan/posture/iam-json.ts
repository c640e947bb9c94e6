import { type Positioned, parseJsonWithPositions, reportPolicy, withoutPositions } from './cloudformation.js';
import { parseLenientJson } from './iam.js';
import type { PostureAnalyzer } from './types.js';

/** Policy files above this size are skipped as malformed: IAM caps a managed policy at 6,144 characters. */
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * Raw IAM policy documents and trust policies as JSON files (`policy.json`, `trust.json`): any .json
 * file whose top-level object has a `Statement`. CloudFormation templates are left to that analyzer.
 */
export const iamJsonAnalyzer: PostureAnalyzer = {
  id: 'iam-json',
  accepts(path, head) {
    if (!/\.json$/i.test(path)) return false;
    return /"Statement"\s*:/.test(head) && !/"AWSTemplateFormatVersion"|"Resources"\s*:/.test(head);
  },
  analyze(ctx) {
    if (ctx.text.length > MAX_BYTES) {
      ctx.malformed(`policy file larger than ${MAX_BYTES / 1024 / 1024} MiB, not analyzed`);
      return;
    }
    // JSON.parse decides validity; Terraform templates (`${var.x}` outside strings) are accepted leniently.
    const json = parseLenientJson(ctx.text);
    if (!json.ok) {
      // V8 reports a character position; people want a line.
      const at = /at position (\d+)/.exec(json.reason);
      ctx.malformed(
        at ? `${json.reason.replace(/ in JSON at position \d+.*/, '')} at line ${ctx.lineOf(Number(at[1]))}` : json.reason,
      );
      return;
    }
    const root = json.value;
    if (typeof root !== 'object' || root === null || Array.isArray(root) || !('Statement' in root)) return;
    // Exact JSON gets real positions; templated JSON is placed by searching the text.
    let pos: Positioned = withoutPositions(root);
    if (json.exact) {
      try {
        pos = parseJsonWithPositions(ctx.text);
      } catch {
        // deeper than the positional parser goes: keep the positionless value
      }
    }
    reportPolicy(ctx, pos, pos.value, 1);
  },
};
