"""The portfolio config: which metrics gate a deployment, with what thresholds, and why.

A :class:`Portfolio` is a strict pydantic model (unknown keys forbidden, no type coercion) with a
``schema_version``. It is written as YAML or JSON and read back byte-identically::

    portfolio = evalnb.load_portfolio("portfolio.yaml")
    portfolio.write("portfolio.json")

The models, defaults and JSON Schema are :mod:`evalnb.portfolio.schema`; reading, migration and
error messages are :mod:`evalnb.portfolio.loading`. This module re-exports both (existing imports
keep working) and is the command line:
``python -m evalnb.portfolio.config --write-schema`` regenerates ``evalnb/schemas/portfolio.schema.json``.
"""
from __future__ import annotations

import sys

from .loading import (MAX_CONFIG_BYTES, ConfigMigrationWarning, PortfolioValidationError, _migrate, _migrate_v1,
                      _model_at, _model_in, _problems, _trim, _validate, load_portfolio, load_portfolio_text)
from .schema import (DEFAULT_MIN_N, ROLES, SCHEMA_PATH, SCHEMA_VERSION, DataRef, Direction, Evidence, FiniteFloat,
                     Gate, MetricSpec, Name, Outcome, Portfolio, Probability, Provenance, Recalibration,
                     RollbackTrigger, Rule, Scalar, SettingValue, SliceGate, Validation, _format_of, _gate_text,
                     _Model, default_gate_rule, json_schema, json_schema_text)

__all__ = ["Portfolio", "MetricSpec", "Gate", "SliceGate", "Evidence", "Outcome", "RollbackTrigger", "Recalibration",
           "Provenance", "Validation", "DataRef", "load_portfolio", "load_portfolio_text", "json_schema",
           "ConfigMigrationWarning", "PortfolioValidationError", "SCHEMA_VERSION", "DEFAULT_MIN_N",
           "default_gate_rule"]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m evalnb.portfolio.config")
    parser.add_argument("--write-schema", action="store_true", help=f"write {SCHEMA_PATH}")
    parser.add_argument("--check", metavar="CONFIG", help="validate a config file and print it")
    args = parser.parse_args(argv)
    if args.write_schema:
        from ..io.writers import write_text

        write_text(SCHEMA_PATH, json_schema_text())
        print(f"wrote {SCHEMA_PATH}")
    if args.check:
        print(load_portfolio(args.check).to_yaml(), end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
