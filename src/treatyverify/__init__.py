"""treatyverify: an open platform for verifying nuclear arms control and disarmament."""

from __future__ import annotations

from treatyverify.errors import TreatyVerifyError

__all__ = ["TreatyVerifyError", "__version__"]
__version__ = "0.1.0"
