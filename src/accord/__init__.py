"""Accord: sales and marketing aligned around every customer."""

__version__ = "0.1.0"
