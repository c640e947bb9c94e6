import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InventoryRelation } from '../../model/inventory.js';
import { terraformExtractor } from './terraform.js';

const rows = (rs: InventoryRelation[]) => rs.map((r) => [r.line, r.kind, r.src.id, r.dst.id, r.props ?? {}]);

const TF = `resource "aws_iam_role" "deploy" {
  name = "deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }
      Condition = {
        StringLike = { "token.actions.githubusercontent.com:sub" = "repo:acme/shop:ref:refs/heads/main" }
      }
    }]
  })
  tags = {
    Owner = "Platform"
  }
}

resource "aws_iam_role" "app" {
  name               = "app-runtime"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.deploy.arn, "arn:aws:iam::444455556666:role/ops"]
    }
  }
}

resource "aws_s3_bucket" "data" {
  bucket = "acme-data"
}

resource "aws_iam_policy" "read" {
  name   = "read-data"
  policy = <<EOT
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject"],
      "Resource": "arn:aws:s3:::acme-data/*"
    },
    {
      "Effect": "Deny",
      "Action": "s3:DeleteObject",
      "Resource": "*"
    }
  ]
}
EOT
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.deploy.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_role_policy" "inline" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = "\${aws_s3_bucket.data.arn}/*"
    }]
  })
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.app.arn
}

resource "vault_policy" "ci" {
  name   = "ci"
  policy = <<EOT
path "secret/data/ci/*" {
  capabilities = ["read"]
}
path "sys/*" {
  capabilities = ["sudo", "read"]
}
EOT
}

resource "vault_kubernetes_auth_backend_role" "app" {
  role_name                        = "app"
  bound_service_account_names      = ["api"]
  bound_service_account_namespaces = ["payments", "staging"]
  token_policies                   = [vault_policy.ci.name]
}
`;

test('terraform: roles, trust, policies, attachments, compute and Vault', async () => {
  const role = (n: string) => `arn:aws:iam::*:role/${n}`;
  assert.deepEqual(rows(await terraformExtractor.extract('infra/iam.tf', TF)), [
    [29, 'runs-as', 'aws-service:lambda.amazonaws.com', role('app-runtime'), { actions: ['sts:AssumeRole'] }],
    [36, 'assumes', role('deploy'), role('app-runtime'), { actions: ['sts:AssumeRole'] }],
    [36, 'assumes', 'arn:aws:iam::444455556666:role/ops', role('app-runtime'), { actions: ['sts:AssumeRole'] }],
    [
      10,
      'assumes',
      'github-actions:repo:acme/shop',
      role('deploy'),
      {
        actions: ['sts:AssumeRoleWithWebIdentity'],
        sub: ['repo:acme/shop:ref:refs/heads/main'],
        provider: 'token.actions.githubusercontent.com',
      },
    ],
    [15, 'owned-by', role('deploy'), 'platform', { key: 'Owner' }],
    [54, 'can-access', 'aws-policy:read-data', 'arn:aws:s3:::acme-data/*', { actions: ['s3:GetObject'], admin: false }],
    [82, 'can-access', role('app-runtime'), 'arn:aws:s3:::acme-data/*', { actions: ['s3:PutObject'], admin: false }],
    [73, 'has-policy', role('deploy'), 'aws-policy:AdministratorAccess', { admin: true }],
    [73, 'can-access', 'aws-policy:AdministratorAccess', '*', { actions: ['*'], admin: true, managed: true }],
    [68, 'has-policy', role('app-runtime'), 'aws-policy:read-data', { admin: false }],
    [89, 'runs-as', 'terraform:aws_lambda_function.fn', role('app-runtime'), {}],
    [95, 'can-access', 'vault-policy:ci', 'vault:secret/data/ci/*', { actions: ['read'], admin: false }],
    [98, 'can-access', 'vault-policy:ci', 'vault:sys/*', { actions: ['sudo', 'read'], admin: true }],
    [108, 'has-policy', 'system:serviceaccount:payments:api', 'vault-policy:ci', { vaultRole: 'app' }],
    [108, 'has-policy', 'system:serviceaccount:staging:api', 'vault-policy:ci', { vaultRole: 'app' }],
  ]);
});

test('terraform: wildcard grants are admin; an account in the file is kept; users and attachments', async () => {
  const tf = `resource "aws_iam_user" "bot" {
  name = "ci-bot"
  tags = { team = "Build" }
}

resource "aws_iam_user_policy" "bot" {
  user   = aws_iam_user.bot.name
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = "iam:*", Resource = "*" },
      { Effect = "Allow", Action = "sts:AssumeRole", Resource = "arn:aws:iam::111122223333:role/deployer" },
    ]
  })
}

resource "aws_iam_user_policy_attachment" "ro" {
  user       = "ci-bot"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
`;
  const user = 'arn:aws:iam::*:user/ci-bot';
  assert.deepEqual(rows(await terraformExtractor.extract('iam/users.tf', tf)), [
    [3, 'owned-by', user, 'build', { key: 'team' }],
    [10, 'can-access', user, '*', { actions: ['iam:*'], admin: true }],
    [11, 'can-access', user, 'arn:aws:iam::111122223333:role/deployer', { actions: ['sts:AssumeRole'], admin: false }],
    [18, 'has-policy', user, 'aws-policy:ReadOnlyAccess', { admin: false }],
  ]);
});

test('terraform: malformed or unrelated HCL gives nothing, without throwing', async () => {
  for (const text of [
    'resource "aws_iam_role" "x" {{{',
    `resource "aws_iam_role" "x" { assume_role_policy = ${'['.repeat(300)} }`,
    'resource "aws_iam_policy" "x" {\n  policy = "{ not json"\n}\n',
    'resource "aws_iam_policy" "x" {\n  policy = jsonencode(local.missing)\n}\n',
    'resource "null_resource" "x" {}\n',
    '',
  ]) {
    assert.deepEqual(await terraformExtractor.extract('bad.tf', text), []);
  }
});

test('terraform: GCP service accounts and Azure identities with what they may reach', async () => {
  const tf = `resource "google_service_account" "deployer" {
  account_id = "deployer"
  project    = "acme-prod"
}

resource "google_project_iam_member" "owner" {
  project = "acme-prod"
  role    = "roles/owner"
  member  = "serviceAccount:\${google_service_account.deployer.email}"
}

resource "google_service_account_iam_member" "ci" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:ci@acme-build.iam.gserviceaccount.com"
}

resource "azurerm_user_assigned_identity" "app" {
  name                = "app-mi"
  location            = "westeurope"
  resource_group_name = "rg"
}

resource "azurerm_role_assignment" "app" {
  scope                = "/subscriptions/00000000-0000-0000-0000-000000000000"
  role_definition_name = "Contributor"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
}
`;
  const got = rows(await terraformExtractor.extract('main.tf', tf));
  assert.deepEqual(got, [
    [
      6,
      'can-access',
      'deployer@acme-prod.iam.gserviceaccount.com',
      'gcp:projects/acme-prod',
      { actions: ['roles/owner'], admin: true },
    ],
    [
      12,
      'assumes',
      'ci@acme-build.iam.gserviceaccount.com',
      'deployer@acme-prod.iam.gserviceaccount.com',
      { via: 'roles/iam.serviceAccountTokenCreator' },
    ],
    [
      24,
      'can-access',
      'azure-mi:app-mi',
      'azure:/subscriptions/00000000-0000-0000-0000-000000000000',
      { actions: ['Contributor'], admin: true },
    ],
  ]);
});
