"""Goals, the written plan, and review cycles: the marketing side of the loop as data."""
