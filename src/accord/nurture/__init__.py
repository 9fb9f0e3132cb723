"""nurture domain."""
