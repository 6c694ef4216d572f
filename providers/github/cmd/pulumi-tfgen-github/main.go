// pulumi-tfgen-github generates the Pulumi package schema from the upstream provider at build time
// (`pulumi-tfgen-github schema --skip-examples --out DIR`).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	"example.invalid/release-topology/providers/github"
)

func main() {
	tfgen.Main("github", github.Version, github.Provider())
}
