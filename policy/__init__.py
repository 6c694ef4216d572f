"""The release-topology policy pack, its rules over registered resources, and the offline check."""
