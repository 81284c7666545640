"""The guest's conversation: the engine (the only place that decides) and the ports it talks through."""
