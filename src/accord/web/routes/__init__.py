"""web.routes domain."""
