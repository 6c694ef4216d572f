// Package random wires the upstream Terraform provider hashicorp/terraform-provider-random (a
// plugin-framework provider) into Pulumi's terraform bridge, under the package name and tokens of the
// official pulumi-random. Wiring only: every resource and its logic is upstream code.
package random

import (
	"context"
	"fmt"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is the pulumi-random release whose package (name, tokens, properties) this build reproduces.
// scripts/engine.sh compares it with the pulumi-random pin of constraints.txt.
const Version = "4.21.4"

// Provider returns the bridge's ProviderInfo. metadata is the bridge-metadata.json that tfgen wrote
// (nil when tfgen itself runs: it starts from empty metadata and writes the file).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Version:      Version,
		DisplayName:  "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:     []string{"pulumi", "random"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-random",
		Publisher:    "Pulumi",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no id attribute: the bridge needs to be told which value is the id.
			"random_bytes": {ComputeID: idFromBase64},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	// Tokens as in the official package: random:index/randomPassword:RandomPassword.
	prefixed := func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}
	info.MustComputeTokens(tokens.SingleModule("random_", "index", prefixed))
	info.MustApplyAutoAliases()
	return info
}

// idFromBase64 uses random_bytes' base64 value as the resource id, as the official provider does.
func idFromBase64(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", fmt.Errorf("random_bytes: no base64 property in state")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", fmt.Errorf("random_bytes: base64 property is not a string")
	}
	return resource.ID(v.StringValue()), nil
}
