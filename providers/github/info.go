// Package github wires the upstream Terraform provider integrations/terraform-provider-github into
// Pulumi's terraform bridge, under the package name and tokens of the official pulumi-github.
// Wiring only: every resource, diff and API call is upstream code.
package github

import (
	"github.com/integrations/terraform-provider-github/v6/github"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
)

// Version is the pulumi-github release whose package (name, tokens, properties) this build reproduces.
// scripts/engine.sh compares it with the pulumi-github pin of constraints.txt.
const Version = "6.15.0"

// Provider returns the bridge's ProviderInfo.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                       shimv2.NewProvider(github.NewProvider(Version, "")()),
		Name:                    "github",
		Version:                 Version,
		DisplayName:             "GitHub",
		Description:             "A Pulumi package for creating and managing github cloud resources.",
		Keywords:                []string{"pulumi", "github"},
		License:                 "Apache-2.0",
		Homepage:                "https://pulumi.io",
		Repository:              "https://github.com/pulumi/pulumi-github",
		Publisher:               "Pulumi",
		GitHubOrg:               "integrations",
		TFProviderModuleVersion: "v6",
		Config: map[string]*tfbridge.SchemaInfo{
			"base_url": {Default: &tfbridge.DefaultInfo{
				EnvVars: []string{"GITHUB_BASE_URL"},
				Value:   "https://api.github.com/",
			}},
			"token": {
				Default: &tfbridge.DefaultInfo{EnvVars: []string{"GITHUB_TOKEN"}},
				Secret:  tfbridge.True(),
			},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			// Deleted before it is recreated, as in the official build (a secret name is unique).
			"github_actions_environment_secret": {DeleteBeforeReplace: true},
			// The official SDK has kept `reviewers` a list since before the upstream set MaxItems 1
			// (the official build remembers it in its bridge-metadata history; this build has none).
			"github_repository_environment": {Fields: map[string]*tfbridge.SchemaInfo{
				"reviewers": {MaxItemsOne: tfbridge.False()},
			}},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			// The official token predates the standard naming (getApp).
			"github_app": {Tok: "github:index/getGithubApp:getGithubApp"},
		},
		EnableZeroDefaultSchemaVersion: true,
		EnableAccurateBridgePreview:    true,
		EnableRawStateDelta:            true,
	}
	info.MustComputeTokens(tokens.SingleModule("github_", "index", tokens.MakeStandard("github")))
	info.SetAutonaming(255, "-")
	return info
}
