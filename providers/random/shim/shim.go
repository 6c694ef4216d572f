// Package shim exports the upstream terraform-provider-random provider, which lives in an internal package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream plugin-framework provider, unchanged.
func NewProvider() provider.Provider { return upstream.New() }
