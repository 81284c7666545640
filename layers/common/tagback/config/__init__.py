"""A client's configuration (`clients/<client-id>.yaml`): the model, loading, the checks before a deploy, and the
environment each function is deployed with."""
