"""Ways in: file importers and presets, webhooks, the website tracker."""
