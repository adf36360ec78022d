"""``modelarts-reference``: the reference server's command with the variant catalogue, so that
``--variant NAME`` serves a mutant or a benign variant (to see what a failure looks like).

The reference package cannot offer it on its own: the catalogue sits above it (docs/architecture.md,
Layers). Also ``python -m modelarts_contract.matrix.serve``.
"""

from __future__ import annotations

import sys

from modelarts_contract.reference.__main__ import main as serve
from modelarts_contract.variants import CATALOGUE


def main(argv: list[str] | None = None) -> int:
    return serve(argv, catalogue=CATALOGUE)


if __name__ == "__main__":
    sys.exit(main())
