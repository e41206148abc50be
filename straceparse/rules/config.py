"""Rule configuration: ``--set`` strings, ``[tool.straceparse]`` in pyproject.toml, user rules.

In: command-line strings, a directory to search upwards for pyproject.toml,
module names or paths.  Out: a :class:`Config` (selection, per-rule option
overrides, rule modules) and new entries in :data:`~straceparse.rules.RULES`.
Raises :class:`ConfigError` naming the file, key or value and what to write
instead; it never changes a rule's defaults in place.

The pyproject.toml table::

    [tool.straceparse]
    select = ["poll-timeout-before-close", "dns-timeout"]   # default: every rule
    ignore = ["idle-gap"]
    rules-modules = ["mypackage.straceparse_rules", "tools/local_rules.py"]

    [tool.straceparse.set.poll-timeout-before-close]
    min_ms = 50
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import pathlib
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type

import attrs

from ..errors import StraceparseError
from .engine import Rule, register

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.9 and 3.10
    import tomli as tomllib

__all__ = [
    "Config",
    "ConfigError",
    "ENTRY_POINT_GROUP",
    "find_pyproject",
    "load_config",
    "load_entry_point_rules",
    "load_rules_module",
    "merge_settings",
    "parse_set",
]

log = logging.getLogger(__name__)

#: The entry-point group that installed packages use to ship rules.
ENTRY_POINT_GROUP = "straceparse.rules"

_KEYS = frozenset(("select", "ignore", "rules-modules", "set"))


class ConfigError(StraceparseError):
    """An invalid ``--set`` string, pyproject.toml table or rule module."""


@attrs.frozen(slots=True)
class Config:
    """What ``[tool.straceparse]`` sets; ``path`` is the pyproject.toml it came from, or None."""

    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    settings: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict, hash=False)
    rules_modules: Tuple[str, ...] = ()
    path: Optional[pathlib.Path] = None


def parse_set(items: Sequence[str]) -> Dict[str, Dict[str, str]]:
    """Parse ``RULE.OPTION=VALUE`` strings into ``{rule: {option: value}}``; values stay strings."""
    settings: Dict[str, Dict[str, str]] = {}
    for item in items:
        target, equals, value = item.partition("=")
        rule_id, dot, option = target.strip().rpartition(".")
        if not equals or not dot or not rule_id or not option:
            raise ConfigError(
                "invalid --set %r: expected RULE.OPTION=VALUE, for example poll-timeout-before-close.min_ms=50"
                % item
            )
        settings.setdefault(rule_id, {})[option.strip()] = value.strip()
    return settings


def merge_settings(*layers: Mapping[str, Mapping[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Merge per-rule option overrides; a later layer wins option by option."""
    merged: Dict[str, Dict[str, Any]] = {}
    for layer in layers:
        for rule_id, options in layer.items():
            merged.setdefault(rule_id, {}).update(options)
    return merged


def find_pyproject(start: Optional[os.PathLike] = None) -> Optional[pathlib.Path]:
    """Return the pyproject.toml in ``start`` (default: the current directory) or its nearest parent."""
    directory = pathlib.Path(start if start is not None else os.getcwd()).resolve()
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


def _string_list(path: pathlib.Path, key: str, value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError("%s: [tool.straceparse] %s must be a list of strings, not %r" % (path, key, value))


def load_config(start: Optional[os.PathLike] = None) -> Config:
    """Read ``[tool.straceparse]`` from the nearest pyproject.toml; an empty :class:`Config` if there is none.

    Relative paths in ``rules-modules`` are taken from the pyproject.toml's
    directory.
    """
    path = find_pyproject(start)
    if path is None:
        return Config()
    try:
        with open(path, "rb") as stream:
            document = tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("%s: invalid TOML: %s" % (path, error)) from None
    table = document.get("tool", {}).get("straceparse")
    if table is None:
        return Config(path=path)
    if not isinstance(table, dict):
        raise ConfigError("%s: tool.straceparse must be a table" % path)
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            "%s: unknown key %s in [tool.straceparse]; known keys: %s"
            % (path, ", ".join(unknown), ", ".join(sorted(_KEYS)))
        )
    settings = table.get("set", {})
    if not isinstance(settings, dict) or not all(isinstance(options, dict) for options in settings.values()):
        raise ConfigError(
            "%s: [tool.straceparse.set] must hold one table per rule, like [tool.straceparse.set.slow-syscall]" % path
        )
    modules = []
    for module in _string_list(path, "rules-modules", table.get("rules-modules", [])):
        if module.endswith(".py"):
            module = str(path.parent / module)
        modules.append(module)
    return Config(
        select=_string_list(path, "select", table.get("select", [])),
        ignore=_string_list(path, "ignore", table.get("ignore", [])),
        settings={rule_id: dict(options) for rule_id, options in settings.items()},
        rules_modules=tuple(modules),
        path=path,
    )


def _register_module_rules(module: Any) -> List[Type[Rule]]:
    """Register the Rule subclasses a module defines (those already registered stay as they are)."""
    added = []
    for _, value in inspect.getmembers(module, inspect.isclass):
        if issubclass(value, Rule) and value is not Rule and value.id and value.__module__ == module.__name__:
            register(value)
            added.append(value)
    return added


def load_rules_module(spec: str) -> List[Type[Rule]]:
    """Import a module of rules by dotted name or by ``.py`` path and register its rules.

    Returns the rule classes the module defines.  Raises :class:`ConfigError`
    when the module cannot be found or fails to import.
    """
    try:
        if spec.endswith(".py") or os.sep in spec:
            path = pathlib.Path(spec)
            if not path.is_file():
                raise ConfigError("rules module %s not found; give a dotted module name or a path to a .py file" % spec)
            name = "straceparse_user_rules_" + path.stem
            module_spec = importlib.util.spec_from_file_location(name, path)
            if module_spec is None or module_spec.loader is None:
                raise ConfigError("rules module %s cannot be loaded as Python source" % spec)
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(spec)
    except ConfigError:
        raise
    except ModuleNotFoundError as error:
        raise ConfigError("rules module %s not found: %s; check the name and sys.path" % (spec, error)) from None
    except Exception as error:  # a user module may raise anything while it imports
        raise ConfigError("rules module %s failed to import: %s: %s" % (spec, type(error).__name__, error)) from None
    try:
        return _register_module_rules(module)
    except ValueError as error:
        raise ConfigError("rules module %s: %s" % (spec, error)) from None


def _entry_points() -> Sequence[Any]:
    from importlib import metadata

    points = metadata.entry_points()
    if hasattr(points, "select"):
        return list(points.select(group=ENTRY_POINT_GROUP))
    return list(points.get(ENTRY_POINT_GROUP, ()))  # pragma: no cover - Python 3.9


def load_entry_point_rules() -> List[Type[Rule]]:
    """Load every ``straceparse.rules`` entry point and register the rules it names.

    An entry point names a Rule subclass or a module of rules.  Raises
    :class:`ConfigError` naming the entry point when it fails to load.
    """
    added: List[Type[Rule]] = []
    for point in _entry_points():
        try:
            target = point.load()
        except Exception as error:  # a plugin may raise anything while it imports
            raise ConfigError(
                "entry point %s = %s in group %s failed to load: %s: %s"
                % (point.name, point.value, ENTRY_POINT_GROUP, type(error).__name__, error)
            ) from None
        try:
            if inspect.isclass(target) and issubclass(target, Rule):
                added.append(register(target))
            elif inspect.ismodule(target):
                added.extend(_register_module_rules(target))
            else:
                raise ConfigError(
                    "entry point %s = %s in group %s names %r, which is neither a Rule subclass nor a module"
                    % (point.name, point.value, ENTRY_POINT_GROUP, target)
                )
        except ValueError as error:
            if isinstance(error, ConfigError):
                raise
            raise ConfigError("entry point %s = %s: %s" % (point.name, point.value, error)) from None
        log.debug("loaded rules from entry point %s = %s", point.name, point.value)
    return added

