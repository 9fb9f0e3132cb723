"""People, their identities and organisations; finding, merging and moving them through the lifecycle."""
