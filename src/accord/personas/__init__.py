"""Customer templates and how well each contact fits them."""
