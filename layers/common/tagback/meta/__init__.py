"""Everything Meta: the webhook's shapes and signature (`webhook`)."""
