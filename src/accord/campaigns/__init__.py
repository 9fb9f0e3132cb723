"""Campaigns and what they cost."""
