"""The rule engine and the rules that ship with straceparse.

Importing this package registers every built-in rule in :data:`RULES`.
"""

from .engine import RULES, Evidence, Finding, Rule, Scan, UnknownRuleError, register, select_rules
from . import poll_timeout  # noqa: F401  (registers the rule)
from . import long_blocking  # noqa: F401  (registers the rule)

__all__ = ["RULES", "Evidence", "Finding", "Rule", "Scan", "UnknownRuleError", "register", "select_rules"]
