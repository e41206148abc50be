"""Rule selection and options: --set, [tool.straceparse], user rule modules, entry points, severity."""

from __future__ import annotations

import json
import textwrap

import pytest

import straceparse
from straceparse.cli import main
from straceparse.rules import RULES, ConfigError, InvalidOptionError, UnknownRuleError, load_config, parse_set
from straceparse.rules.config import load_entry_point_rules, load_rules_module
from straceparse.rules.engine import severity_of

from conftest import CAPTURES, CORPUS, EXIM_TRACES

EXIM = str(EXIM_TRACES / "exim-f-r-s128.strace")
YUM = str(CORPUS / "22-ustclug-yum-container-fcntl-ebadf-loop.log")

USER_RULE = '''
from straceparse.rules import Finding, Rule
from straceparse.rules.engine import evidence_of


class FcntlCounter(Rule):
    id = "fcntl-counter"
    summary = "counts fcntl calls"
    options = {"every": 10}
    option_help = {"every": "calls per finding"}

    def __init__(self, **settings):
        super().__init__(**settings)
        self.seen = []

    def feed(self, event, processes):
        if getattr(event, "syscall", None) != "fcntl":
            return ()
        self.seen.append(event)
        if len(self.seen) < self.every:
            return ()
        lines, evidence = evidence_of(self.seen)
        self.seen = []
        return [Finding(rule=self.id, file=event.file, message="fcntl x%d" % self.every, cost_seconds=0.0,
                        lines=lines, evidence=evidence)]
'''


@pytest.fixture
def restore_rules():
    saved = dict(RULES)
    yield
    RULES.clear()
    RULES.update(saved)


@pytest.fixture
def user_rule_file(tmp_path):
    path = tmp_path / "fcntl_rules.py"
    path.write_text(USER_RULE)
    return path


# -- --set


@pytest.mark.parametrize(
    "items, expected",
    [
        (["poll-timeout-before-close.min_ms=50"], {"poll-timeout-before-close": {"min_ms": "50"}}),
        (["slow-syscall.skip=wait4,poll", "slow-syscall.min_ms=5"], {"slow-syscall": {"skip": "wait4,poll", "min_ms": "5"}}),
    ],
)
def test_parse_set_valid_items(items, expected):
    assert parse_set(items) == expected


def test_parse_set_missing_option():
    with pytest.raises(ConfigError) as error:
        parse_set(["min_ms=50"])
    assert str(error.value) == (
        "invalid --set 'min_ms=50': expected RULE.OPTION=VALUE, for example poll-timeout-before-close.min_ms=50"
    )


def test_set_invalid_number_message():
    with pytest.raises(InvalidOptionError) as error:
        straceparse.scan(EXIM, settings={"poll-timeout-before-close": {"min_ms": "fast"}})
    assert str(error.value) == "invalid value 'fast' for poll-timeout-before-close.min_ms: expected a number (default 1.0)"


def test_set_unknown_option_message():
    with pytest.raises(UnknownRuleError) as error:
        straceparse.scan(EXIM, settings={"idle-gap": {"max_ms": "5"}})
    assert str(error.value) == "rule idle-gap has no option 'max_ms'; options: min_ms"


def test_set_boolean_option_words():
    (rule,) = straceparse.select_rules(["repeated-timeout"], settings={"repeated-timeout": {"include_listening": "yes"}})
    assert rule.include_listening is True


def test_cli_set_changes_threshold(capsys):
    assert main(["scan", "--no-config", "--rule", "poll-timeout-before-close", "--set",
                 "poll-timeout-before-close.min_ms=250", EXIM]) == 0
    assert capsys.readouterr().out.startswith("no findings\n")


def test_cli_set_invalid_exit_two(capsys):
    assert main(["scan", "--no-config", "--set", "idle-gap.min_ms=soon", EXIM]) == 2
    assert capsys.readouterr().err == (
        "straceparse: error: invalid value 'soon' for idle-gap.min_ms: expected a number (default 100.0)\n"
    )


# -- pyproject.toml


def test_pyproject_nearest_parent(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent('''
        [tool.straceparse]
        select = ["poll-timeout-before-close", "error-storm"]
        ignore = ["error-storm"]

        [tool.straceparse.set.poll-timeout-before-close]
        min_ms = 250
    '''))
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    config = load_config()
    assert config.path == tmp_path / "pyproject.toml"
    assert config.select == ("poll-timeout-before-close", "error-storm")
    assert config.settings == {"poll-timeout-before-close": {"min_ms": 250}}
    assert main(["scan", "--format", "json", EXIM]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert list(summary["rules"]) == ["poll-timeout-before-close"]


def test_pyproject_cli_set_wins(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.straceparse.set.poll-timeout-before-close]\nmin_ms = 250\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "--rule", "poll-timeout-before-close", "--set", "poll-timeout-before-close.min_ms=100",
                 EXIM]) == 1
    assert "8 connections lost 1.60 s" in capsys.readouterr().out


def test_pyproject_invalid_value_names_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.straceparse.set.poll-timeout-before-close]\nmin_ms = "fast"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["scan", EXIM]) == 2
    assert capsys.readouterr().err == (
        "straceparse: error: %s: [tool.straceparse.set]: invalid value 'fast' for poll-timeout-before-close.min_ms: "
        "expected a number (default 1.0)\n" % (tmp_path / "pyproject.toml")
    )


def test_pyproject_unknown_key_message(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.straceparse]\nrule = ["idle-gap"]\n')
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path)
    assert str(error.value) == (
        "%s: unknown key rule in [tool.straceparse]; known keys: ignore, rules-modules, select, set" % path
    )


def test_pyproject_without_table_empty(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    config = load_config(tmp_path)
    assert (config.select, config.ignore, dict(config.settings)) == ((), (), {})


# -- user rules


def test_rules_module_by_path(restore_rules, user_rule_file, capsys):
    assert main(["scan", "--no-config", "--rules-module", str(user_rule_file), "--rule", "fcntl-counter",
                 "--set", "fcntl-counter.every=13", YUM]) == 1
    out = capsys.readouterr().out
    assert out.count("fcntl-counter [low]: fcntl x13") == 2


def test_rules_module_by_name(restore_rules, user_rule_file, monkeypatch):
    monkeypatch.syspath_prepend(str(user_rule_file.parent))
    (rule,) = load_rules_module("fcntl_rules")
    assert rule.id == "fcntl-counter"
    assert RULES["fcntl-counter"] is rule


def test_rules_module_missing_message():
    with pytest.raises(ConfigError) as error:
        load_rules_module("no/such/rules.py")
    assert str(error.value) == (
        "rules module no/such/rules.py not found; give a dotted module name or a path to a .py file"
    )


def test_pyproject_rules_modules_relative(restore_rules, tmp_path, monkeypatch, capsys):
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "local_rules.py").write_text(USER_RULE)
    (tmp_path / "pyproject.toml").write_text('[tool.straceparse]\nrules-modules = ["tools/local_rules.py"]\n')
    monkeypatch.chdir(tmp_path)
    assert main(["rules"]) == 0
    assert "fcntl-counter\tcounts fcntl calls\n    fcntl-counter.every=10\tcalls per finding\n" in capsys.readouterr().out


def test_entry_point_rules_loaded(restore_rules, tmp_path, monkeypatch):
    (tmp_path / "fcntl_plugin.py").write_text(USER_RULE)
    info = tmp_path / "fcntl_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fcntl-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[straceparse.rules]\nfcntl = fcntl_plugin:FcntlCounter\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = load_entry_point_rules()
    assert [rule.id for rule in loaded] == ["fcntl-counter"]
    report = straceparse.scan(YUM, select=["fcntl-counter"])
    assert len(report.findings) == 2


def test_register_duplicate_id_message(restore_rules):
    class Other(straceparse.Rule):
        id = "idle-gap"

    with pytest.raises(ValueError) as error:
        straceparse.register(Other)
    assert str(error.value) == (
        "rule id 'idle-gap' of test_rules_config.test_register_duplicate_id_message.<locals>.Other is already "
        "taken by straceparse.rules.idle_gap.IdleGap; give the rule another id"
    )


# -- severity


@pytest.mark.parametrize(
    "cost, trace_share, process_share, expected",
    [
        (0.2, 0.016, 0.96, "high"),
        (0.2, 0.016, 0.06, "medium"),
        (0.2, 0.016, 0.02, "low"),
        (0.2, None, None, "medium"),
        (1.5, None, None, "high"),
        (0.0, None, None, "low"),
    ],
)
def test_severity_of_shares_and_cost(cost, trace_share, process_share, expected):
    assert severity_of(cost, trace_share, process_share) == expected


def test_severity_repeats_graded_together():
    # getent waits out four 5 s DNS timeouts in a 20 s run: each is 24.97% of it, together all of it.
    report = straceparse.scan(CAPTURES / "dns" / "getent-dns-timeout-f-tt-T-yy.strace", select=["dns-timeout"])
    assert [finding.severity for finding in report.findings] == ["high"] * 4
    assert max(finding.process_share for finding in report.findings) < 0.25


def test_finding_dict_keeps_old_keys():
    (finding, *_) = straceparse.scan(EXIM, select=["poll-timeout-before-close"]).findings
    data = finding.to_dict()
    old = {"rule", "file", "pid", "fd", "timeout_ms", "cost_seconds", "cost_source", "lines", "message", "evidence",
           "details"}
    assert old <= set(data)
    assert (data["severity"], data["trace_share"] < 0.05, data["process_share"] > 0.5) == ("high", True, True)
