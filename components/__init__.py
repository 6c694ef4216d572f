"""release-topology's Pulumi ComponentResources: one per concern, children named from the component."""
