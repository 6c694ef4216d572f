// Package vercel wires the upstream Terraform provider vercel/terraform-provider-vercel (a
// plugin-framework provider, built from the vendored source snapshot that scripts/engine.sh extracts
// into ./upstream) into Pulumi's terraform bridge, under the package name and tokens of pulumiverse's
// pulumi-vercel. Wiring only: every resource, diff and API call is upstream code.
package vercel

import (
	"context"
	"fmt"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	upstream "github.com/vercel/terraform-provider-vercel/v5/vercel"
)

// Version is the pulumiverse-vercel release whose package (name, tokens, properties) this build
// reproduces. scripts/engine.sh compares it with the pulumiverse-vercel pin of constraints.txt.
const Version = "5.21.1"

// Provider returns the bridge's ProviderInfo. metadata is the bridge-metadata.json that tfgen wrote
// (nil when tfgen itself runs: it starts from empty metadata and writes the file).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:                       pf.ShimProvider(upstream.New()),
		Name:                    "vercel",
		Version:                 Version,
		DisplayName:             "Vercel",
		Publisher:               "Pulumiverse",
		Description:             "A Pulumi package for creating and managing Vercel resources.",
		Keywords:                []string{"pulumi", "vercel", "category/cloud"},
		License:                 "Apache-2.0",
		Homepage:                "https://github.com/pulumiverse/pulumi-vercel",
		Repository:              "https://github.com/pulumiverse/pulumi-vercel",
		PluginDownloadURL:       "github://api.github.com/pulumiverse",
		GitHubOrg:               "vercel",
		TFProviderModuleVersion: "v5",
		// The extracted source snapshot: tfgen reads the resources' docs from it.
		UpstreamRepoPath: "./upstream",
		MetadataInfo:     tfbridge.NewProviderMetadata(metadata),
		// No Pulumi-side default for api_token: the upstream provider itself reads VERCEL_API_TOKEN
		// when api_token is not set (as with the official plugin). It is secret (Sensitive upstream).
		Resources: map[string]*tfbridge.ResourceInfo{
			// Their `id` is an input (the Edge Config's / the team's id): the SDK keeps the name `id`,
			// and the resource id is that value.
			"vercel_edge_config_schema": {
				Fields:    map[string]*tfbridge.SchemaInfo{"id": {Name: "id"}},
				ComputeID: idFrom("id"),
			},
			"vercel_team_config": {
				Fields: map[string]*tfbridge.SchemaInfo{
					"id":          {Name: "id"},
					"invite_code": {Secret: tfbridge.True()},
				},
				ComputeID: idFrom("id"),
			},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	// Tokens as in the official package: vercel:index/projectEnvironmentVariable:ProjectEnvironmentVariable.
	info.MustComputeTokens(tokens.SingleModule("vercel_", "index", tokens.MakeStandard("vercel")))
	info.MustApplyAutoAliases()
	info.SetAutonaming(255, "-")
	return info
}

// idFrom uses a string property of the state as the resource id.
func idFrom(name resource.PropertyKey) tfbridge.ComputeID {
	return func(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
		v, ok := state[name]
		if !ok {
			return "", fmt.Errorf("no %s property in state", name)
		}
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsString() || v.StringValue() == "" {
			return "", fmt.Errorf("property %s is not a non-empty string", name)
		}
		return resource.ID(v.StringValue()), nil
	}
}
