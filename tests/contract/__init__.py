"""The contract suite users run; installed with the package as `modelarts_contract.suite`."""
