"""The information barrier: sensitive measurements in, declared outputs out, nothing else."""
