"""The shared kernel: what every feature uses and none owns."""
