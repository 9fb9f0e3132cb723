"""The /api/v1 REST API: token authentication, JSON problem details, one router per domain."""
