"""Production's logical names are its identity in state: a rename without an alias is a
delete + create of a protected resource (the update fails, or secrets rotate). This snapshot
makes every rename a deliberate change: update it together with an `Alias` on the resource."""

from harness import run_stack

PRODUCTION = """
release-topology:index:ReleaseEnvironment::production
release-topology:index:ReleaseEnvironment$pulumi:providers:github::production-github
release-topology:index:ReleaseEnvironment$release-topology:github:BranchGate::production-branch-gate
release-topology:index:ReleaseEnvironment$release-topology:github:BranchGate$github:index/repositoryRuleset:RepositoryRuleset::production-branch-gate-ruleset
release-topology:index:ReleaseEnvironment$release-topology:github:ReleaseArchive::production-release-archive
release-topology:index:ReleaseEnvironment$release-topology:github:ReleaseArchive$github:index/repositoryRuleset:RepositoryRuleset::production-release-archive-ruleset
release-topology:index:ReleaseEnvironment$release-topology:github:AllowedBranches::production-allowed-branches
release-topology:index:ReleaseEnvironment$release-topology:github:AllowedBranches$github:index/repositoryRuleset:RepositoryRuleset::production-allowed-branches-ruleset
release-topology:index:ReleaseEnvironment$release-topology:github:DeploymentEnvironment::production-deployment
release-topology:index:ReleaseEnvironment$release-topology:github:DeploymentEnvironment$github:index/repositoryEnvironment:RepositoryEnvironment::production-deployment-environment
release-topology:index:ReleaseEnvironment$release-topology:github:DeploymentEnvironment$github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy::production-deployment-branch-policy
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets::production-secrets
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets$random:index/randomPassword:RandomPassword::production-secrets-jwt-secret
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets$github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::production-secrets-stripe-secret-key-github
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets$github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::production-secrets-supabase-service-role-key-github
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets$github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::production-secrets-jwt-secret-github
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets$github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable::production-secrets-next-public-supabase-url-github
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets$github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable::production-secrets-app-env-github
release-topology:index:ReleaseEnvironment$release-topology:secrets:EnvironmentSecrets$github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable::production-secrets-log-level-github
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget::production-vercel
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/project:Project::production-vercel-project
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectDomain:ProjectDomain::production-vercel-domain
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-stripe-secret-key
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-next-public-stripe-publishable-key
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-stripe-webhook-secret
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-next-public-supabase-url
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-next-public-supabase-anon-key
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-supabase-service-role-key
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-jwt-secret
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-app-env
release-topology:index:ReleaseEnvironment$release-topology:vercel:DeploymentTarget$vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable::production-vercel-log-level
"""


def test_production_keeps_its_logical_names():
    urns = {u.split("::", 2)[2] for u in run_stack("production").urns}
    assert urns == set(PRODUCTION.split())
