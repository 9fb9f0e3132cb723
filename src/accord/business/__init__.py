"""The business review ("business DNA"): versioned needs, opportunities, strengths and the vision; competitors."""
