import type { InventoryNode, InventoryRelation } from '../../model/inventory.js';
import { cloudformationAnalyzer, type Positioned, parseJsonWithPositions } from '../posture/cloudformation.js';
import { normalizePolicy, parseLenientJson, toObjects, toTexts } from '../posture/iam.js';
import { attachmentRelations, grantRelations, managedPolicyNode, positionedSite, trustRelations } from './aws.js';
import {
  awsRoleArn,
  awsUserArn,
  credentialRelation,
  isObj,
  lifetimeSeconds,
  lines,
  node,
  type Obj,
  ownerRelations,
  parseDocumentPositioned,
  relation,
  text,
  tooDeep,
} from './common.js';
import type { InventoryExtractor } from './types.js';

/**
 * CloudFormation and SAM templates: IAM roles (trust policy, inline policies, managed policy ARNs,
 * tags), users, and policies attached to roles and users by `Roles`/`Users`. A resource whose name is
 * not literal is known by its logical id. `Ref`/`Fn::GetAtt` to IAM resources of the same template
 * resolve to their ids; `${AWS::AccountId}` and `${AWS::Region}` in a `Fn::Sub` become `*`.
 */

const MAX_YAML_BYTES = 2 * 1024 * 1024;
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const RELEVANT = /AWS::IAM::/;

interface Named {
  /** What `Ref` returns: the name for roles, users and inline policies, the ARN for managed policies. */
  ref: string;
  /** What `Fn::GetAtt [X, Arn]` returns. */
  arn: string;
  node: InventoryNode;
}

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': '*',
  'AWS::Partition': 'aws',
  'AWS::Region': '*',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Replaces intrinsics that name IAM resources of this template, or pseudo parameters, by their text. */
function resolver(named: Map<string, Named>): (v: unknown, depth?: number) => unknown {
  const resolve = (v: unknown, depth = 0): unknown => {
    if (depth > 8) return v;
    if (Array.isArray(v)) return v.map((x) => resolve(x, depth + 1));
    if (!isObj(v) || Object.keys(v).length !== 1) return v;
    if (typeof v.Ref === 'string') return named.get(v.Ref)?.ref ?? PSEUDO[v.Ref] ?? v;
    const getAtt = v['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const [id, attr] = Array.isArray(getAtt) ? getAtt.map(text) : (text(getAtt)?.split('.') ?? []);
      return attr === 'Arn' && id !== undefined ? (named.get(id)?.arn ?? v) : v;
    }
    const sub = v['Fn::Sub'];
    const template = text(Array.isArray(sub) ? sub[0] : sub);
    if (template !== undefined) {
      return template.replace(/\$\{([^}!]+)\}/g, (whole, ref: string) => {
        const [id, attr] = ref.split('.');
        if (attr === 'Arn') return named.get(id!)?.arn ?? whole;
        return attr === undefined ? (named.get(id!)?.ref ?? PSEUDO[id!] ?? whole) : whole;
      });
    }
    const cond = v['Fn::If'];
    if (Array.isArray(cond) && cond.length === 3)
      return { 'Fn::If': [cond[0], resolve(cond[1], depth + 1), resolve(cond[2], depth + 1)] };
    return v;
  };
  return resolve;
}

function parse(path: string, body: string): Positioned | undefined {
  if (/\.json$/i.test(path) || body.trimStart().startsWith('{')) {
    if (body.length > MAX_JSON_BYTES) return undefined;
    const checked = parseLenientJson(body);
    if (!checked.ok || !checked.exact) return undefined;
    try {
      return parseJsonWithPositions(body);
    } catch {
      return undefined;
    }
  }
  if (body.length > MAX_YAML_BYTES || tooDeep(body)) return undefined;
  const parsed = parseDocumentPositioned(body);
  return parsed.ok ? parsed.doc : undefined;
}

const literal = (v: unknown): string | undefined => {
  const s = text(v)?.trim();
  return s && !s.includes('${') ? s : undefined;
};

function extract(path: string, body: string): InventoryRelation[] {
  if (!RELEVANT.test(body)) return [];
  const pos = parse(path, body);
  if (!pos || !isObj(pos.value) || !isObj(pos.value.Resources)) return [];
  const resources = Object.entries(pos.value.Resources).filter((e): e is [string, Obj] => isObj(e[1]));
  const { findLine } = lines(path, body);

  // First pass: the ids of every IAM resource, so references between them resolve.
  const named = new Map<string, Named>();
  for (const [id, res] of resources) {
    const props = isObj(res.Properties) ? res.Properties : {};
    const meta = { cloudformation: id };
    switch (res.Type) {
      case 'AWS::IAM::Role': {
        const name = literal(props.RoleName) ?? id;
        named.set(id, { ref: name, arn: awsRoleArn(name), node: node('identity', awsRoleArn(name), name, meta) });
        break;
      }
      case 'AWS::IAM::User': {
        const name = literal(props.UserName) ?? id;
        named.set(id, { ref: name, arn: awsUserArn(name), node: node('identity', awsUserArn(name), name, meta) });
        break;
      }
      case 'AWS::IAM::ManagedPolicy': {
        const name = literal(props.ManagedPolicyName) ?? id;
        const arn = `arn:aws:iam::*:policy/${name}`;
        named.set(id, { ref: arn, arn, node: node('policy', `aws-policy:${name}`, name, meta) });
        break;
      }
      case 'AWS::IAM::Policy': {
        const name = literal(props.PolicyName) ?? id;
        named.set(id, { ref: name, arn: name, node: node('policy', `aws-policy:${name}`, name, meta) });
        break;
      }
    }
  }
  const resolve = resolver(named);
  const texts = (raw: unknown): string[] => toTexts(resolve(raw));

  const out: InventoryRelation[] = [];
  for (const [id, res] of resources) {
    const self = named.get(id);
    if (!self) continue;
    const props = isObj(res.Properties) ? res.Properties : {};
    const resLine = pos.line(pos.value.Resources, id) ?? 1;
    const site = positionedSite(path, pos, findLine, resLine, texts);
    const docs = (v: unknown): ReturnType<typeof normalizePolicy>[] => {
      if (typeof v === 'string') {
        const j = parseLenientJson(v);
        return j.ok ? [normalizePolicy(j.value)] : [];
      }
      return toObjects(v).map((d) => normalizePolicy(d));
    };

    if (res.Type === 'AWS::IAM::Role' || res.Type === 'AWS::IAM::User') {
      for (const d of docs(props.AssumeRolePolicyDocument)) if (d) out.push(...trustRelations(self.node, d, site));
      for (const p of toObjects(props.Policies))
        for (const d of docs(p.PolicyDocument)) if (d) out.push(...grantRelations(self.node, d, site));
      const arns = props.ManagedPolicyArns;
      for (const [i, raw] of (Array.isArray(arns) ? arns : arns === undefined ? [] : [arns]).entries()) {
        const line = pos.line(arns, i) ?? pos.line(props, 'ManagedPolicyArns') ?? resLine;
        for (const arn of texts(raw)) {
          const policy = managedPolicyNode(arn);
          if (policy) out.push(...attachmentRelations(self.node, policy, path, line));
        }
      }
      const tags = toObjects(props.Tags).map((t): [string, unknown, number] => [
        text(t.Key) ?? '',
        t.Value,
        pos.line(t, 'Value') ?? resLine,
      ]);
      out.push(...ownerRelations(self.node, tags, path));
      const secs = res.Type === 'AWS::IAM::Role' ? lifetimeSeconds(resolve(props.MaxSessionDuration)) : undefined;
      if (secs !== undefined)
        out.push(
          credentialRelation(
            self.node,
            `cloudformation:${id}`,
            { type: 'aws-role-session', static: false, lifetimeSeconds: secs },
            path,
            pos.line(props, 'MaxSessionDuration') ?? resLine,
          ),
        );
    } else {
      for (const d of docs(props.PolicyDocument)) if (d) out.push(...grantRelations(self.node, d, site));
      for (const [key, arn] of [
        ['Roles', awsRoleArn],
        ['Users', awsUserArn],
      ] as const) {
        const list = props[key];
        for (const [i, raw] of (Array.isArray(list) ? list : []).entries()) {
          const line = pos.line(list, i) ?? resLine;
          for (const name of texts(raw)) {
            if (name.includes('${') || name.trim() === '') continue;
            const identity = node('identity', name.startsWith('arn:') ? name : arn(name), name);
            out.push(relation('has-policy', identity, self.node, path, line));
          }
        }
      }
    }
  }
  for (const [id, res] of resources) {
    if (res.Type !== 'AWS::IAM::AccessKey') continue;
    const props = isObj(res.Properties) ? res.Properties : {};
    const raw = props.UserName;
    const ref = isObj(raw) && typeof raw.Ref === 'string' ? named.get(raw.Ref) : undefined;
    const name = ref ? undefined : texts(raw)[0];
    const user =
      ref?.node ??
      (name && !name.includes('${') ? node('identity', name.startsWith('arn:') ? name : awsUserArn(name), name) : undefined);
    if (!user) continue;
    const line = pos.line(props, 'UserName') ?? pos.line(pos.value.Resources, id) ?? 1;
    out.push(credentialRelation(user, `cloudformation:${id}`, { type: 'aws-access-key', static: true }, path, line));
  }
  return out;
}

/** CloudFormation templates: the files posture's cloudformation analyzer reads. */
export const cloudformationExtractor: InventoryExtractor = {
  id: 'cloudformation',
  accepts: (path, head) => cloudformationAnalyzer.accepts(path, head),
  extract,
};
