"""The suite's pytest wiring lives in the package, so users can load it from their own repository too."""

pytest_plugins = ["modelarts_contract.pytest_plugin"]
