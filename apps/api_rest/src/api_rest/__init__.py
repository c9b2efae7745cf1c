"""Shipay comments API."""
