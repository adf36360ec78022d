"""The kill matrix: the contract suite against every variant of the catalogue, in-process.

The top of the layers (docs/architecture.md): it runs pytest with the suite's plugin, reads each
run's ledger, and imports the catalogue (`modelarts_contract.variants`), which is data below it.
``python -m modelarts_contract.matrix`` runs it; `modelarts-reference --variant NAME` serves one variant.
"""
