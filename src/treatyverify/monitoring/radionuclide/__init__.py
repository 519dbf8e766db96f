"""Radionuclide analysis: radioxenon ratios, screening and time since fission."""
