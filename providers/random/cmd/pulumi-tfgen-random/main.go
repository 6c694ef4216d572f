// pulumi-tfgen-random generates the Pulumi package schema and bridge-metadata.json from the upstream
// provider at build time (`pulumi-tfgen-random schema --skip-examples --out DIR`).
package main

import (
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"example.invalid/release-topology/providers/random"
)

func main() {
	pftfgen.Main("random", random.Provider(nil))
}
