"""Allow ``python -m treatyverify``."""

from treatyverify.cli.app import main

main()
