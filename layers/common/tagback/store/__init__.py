"""The client's DynamoDB table: its key schema and codec, and one repository per entity (the only code that knows
keys)."""
