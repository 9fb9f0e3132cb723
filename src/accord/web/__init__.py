"""The server-rendered web app."""
