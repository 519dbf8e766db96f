"""Reports and plots: HTML/PDF reports and PNG figures over the library's results."""
