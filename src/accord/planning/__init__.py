"""Goals, the written plan, and review cycles: the marketing side of the loop as data."""

# Owners and marketing write the plan; sales and viewers read it.
PLANNERS = ("owner", "marketing")
