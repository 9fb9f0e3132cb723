"""Goals, the written plan and review cycles."""
