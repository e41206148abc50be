"""The rule engine and the rules that ship with straceparse.

Importing this package registers every built-in rule in :data:`RULES`.
"""

from .engine import (
    RULES,
    Evidence,
    Finding,
    InvalidOptionError,
    Rule,
    Scan,
    UnknownRuleError,
    register,
    select_rules,
)
from .config import Config, ConfigError, load_config, load_entry_point_rules, load_rules_module, parse_set
from . import dns_timeout, error_storm, idle_gap, long_blocking, poll_timeout, repeated_timeout, slow_syscall  # noqa: F401  (register)

__all__ = [
    "RULES",
    "Config",
    "ConfigError",
    "Evidence",
    "Finding",
    "InvalidOptionError",
    "Rule",
    "Scan",
    "UnknownRuleError",
    "load_config",
    "load_entry_point_rules",
    "load_rules_module",
    "parse_set",
    "register",
    "select_rules",
]
