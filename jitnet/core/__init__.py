"""core stage of jitnet (see docs/ARCHITECTURE.md)."""
