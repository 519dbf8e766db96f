"""Notifications: notice types, required fields and submission."""
