"""Contract-testing suite for ModelArts "Obtaining User Image Groups"."""

__version__ = "0.1.0"
