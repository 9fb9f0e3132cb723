"""File imports: CSV and JSON Lines in, validated and deduplicated records out, bad rows to a rejects file."""
