// pulumi-tfgen-vercel generates the Pulumi package schema and bridge-metadata.json from the upstream
// provider at build time (`pulumi-tfgen-vercel schema --skip-examples --out DIR`).
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"example.invalid/release-topology/providers/vercel"
)

func main() {
	pftfgen.Main("vercel", vercel.Provider(nil))
}
