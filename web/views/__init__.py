"""Blueprints of the staff desk, one module per area."""
