"""The contract ships as package data: this folder is installed as `modelarts_contract.openapi`."""
