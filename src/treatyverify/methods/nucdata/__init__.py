"""Curated nuclear data: gamma lines, half-lives and photon attenuation, each with its source."""
