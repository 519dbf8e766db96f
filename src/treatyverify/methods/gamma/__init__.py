"""Gamma spectrometry: spectra, calibration, peaks and attributes."""
