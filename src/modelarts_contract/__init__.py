"""Contract-testing suite for ModelArts "Obtaining User Image Groups"."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("modelarts-contract")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
