"""Offers, deals and orders."""
