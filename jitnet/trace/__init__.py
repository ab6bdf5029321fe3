"""trace stage of jitnet (see docs/ARCHITECTURE.md)."""
