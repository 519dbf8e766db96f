"""The multi-party HTTP service and its dashboard (``treatyverify serve``)."""
