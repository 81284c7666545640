"""Meta: the webhook's shapes and signature (`webhook`), the Graph API client (`graph`)."""
