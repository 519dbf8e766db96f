"""Data exchange between parties: declarations and inspection reports."""
