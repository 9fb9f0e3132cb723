"""Reviews both teams share: each is a typed query, `run(warehouse, query)`, and a typed result."""
