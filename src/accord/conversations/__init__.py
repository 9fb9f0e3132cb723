"""Personal exchanges, queries and the insights they teach."""
