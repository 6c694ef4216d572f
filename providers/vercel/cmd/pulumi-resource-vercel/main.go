// pulumi-resource-vercel is the resource plugin: the bridge serving the upstream provider.
package main

import (
	"context"
	_ "embed"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"example.invalid/release-topology/providers/vercel"
)

// Both files are written here by pulumi-tfgen-vercel before this binary is built (git-ignored).
var (
	//go:embed schema.json
	schema []byte
	//go:embed bridge-metadata.json
	metadata []byte
)

func main() {
	pf.Main(context.Background(), "vercel", vercel.Provider(metadata), pf.ProviderMetadata{PackageSchema: schema})
}
