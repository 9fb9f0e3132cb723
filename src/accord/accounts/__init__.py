"""People who use Accord: users, roles, sessions and API tokens."""
