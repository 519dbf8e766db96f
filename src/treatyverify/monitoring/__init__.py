"""Test-ban monitoring as a national data center does it: seismic, infrasound, radionuclide."""
