"""The HTTP layer: blueprints that parse, call a use case and serialize; nothing else."""
