"""Inbound engagements, outbound touches, spam rules and the inbox."""
