"""The docs say what the code does: every setting and every command is in the README."""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.cli import build_parser
from hub.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "hub") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found += _commands(sub, f"{prefix} {name}")
    return found


def test_every_setting_is_documented():
    missing = [f"HUB_{name.upper()}" for name in Settings.model_fields if f"HUB_{name.upper()}" not in README]
    assert missing == []


def test_every_command_is_documented():
    missing = [command for command in _commands(build_parser()) if command not in README]
    assert missing == []


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in first_block.strip().splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]
