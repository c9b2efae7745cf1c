"""Shipay comments worker."""
