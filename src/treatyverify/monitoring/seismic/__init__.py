"""Seismic processing: ingest, detection, association, location, magnitudes, screening."""
