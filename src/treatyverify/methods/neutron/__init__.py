"""Passive neutron multiplicity counting: the point model and simulated pulse trains."""
