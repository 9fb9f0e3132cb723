"""personas domain."""
