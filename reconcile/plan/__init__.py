"""The planner (pure), operation types, safety gates and renderers."""
