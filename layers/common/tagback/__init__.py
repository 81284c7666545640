"""Tagback's domain package: everything the Lambda functions share, free of Lambda events and boto3 clients
(adapters excepted: `store` and `secrets` are the only modules that talk to AWS)."""
