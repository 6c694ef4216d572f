// pulumi-resource-github is the resource plugin: the bridge serving the upstream provider.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"example.invalid/release-topology/providers/github"
)

// schema.json is written here by pulumi-tfgen-github before this binary is built (git-ignored).
//
//go:embed schema.json
var schema []byte

func main() {
	tfbridge.Main("github", github.Version, github.Provider(), schema)
}
