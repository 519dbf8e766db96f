"""Infrasound array processing: beamforming, back-azimuth and trace velocity."""
