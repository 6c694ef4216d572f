"""release-topology components: config model, release rules, one component per concern."""
