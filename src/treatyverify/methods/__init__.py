"""Technical verification methods: gamma spectrometry, neutron multiplicity, templates.

Each method runs on sensitive measurements behind the information barrier and
releases only the outputs its treaty specification declares.
"""
