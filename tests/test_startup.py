"""Start-up stays light (issue 15): `--version` and `--help` import no command module and no heavy library, a command
imports only its own module, and a database at this program's schema opens without Alembic. Measured by what a fresh
process has imported, never by time (bench/startup.py has the figures)."""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import adultschool
from adultschool import cli
from adultschool.db import migrate

TESTS = Path(__file__).parent
CLI_FOLDER = Path(cli.__file__).parent
# Libraries that cost tenths of a second each (seconds under Wine) and that a command which does not need them must
# not import.
HEAVY = ("sqlalchemy", "alembic", "openpyxl", "python_calamine", "reportlab", "cryptography", "PIL", "zxingcpp",
         "pypdfium2", "psycopg", "PySide6", "shiboken6", "pypinyin")

# Run in a fresh interpreter: the tests' clock, then the command line; prints what the command imported.
PROBE = """
import json, sys
sys.path.insert(0, {tests!r})
import testclock
testclock.freeze()
before = set(sys.modules)
from adultschool import cli
try:
    code = cli.main(json.loads(sys.argv[1]))
except SystemExit as exit:
    code = exit.code
print(json.dumps({{"code": code, "modules": sorted(set(sys.modules) - before)}}))
"""


def imported_by(argv: list[str]) -> tuple[int, set[str]]:
    """The exit status of `adultschool ARGV` in a new process and the modules it imported."""
    result = subprocess.run([sys.executable, "-c", PROBE.format(tests=str(TESTS)), json.dumps(argv)],
                            capture_output=True, text=True, encoding="utf-8", env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["code"], set(answer["modules"])


def heavy_among(modules: set[str], libraries: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(libraries))


def command_modules_among(modules: set[str]) -> set[str]:
    return {name.rsplit(".", 1)[1] for name in modules if name.startswith("adultschool.cli.")} & set(cli.command_modules())


@pytest.mark.parametrize("argv", [["--version"], ["--help"], []], ids=["version", "help", "nothing"])
def test_version_and_help_import_no_command_module_and_no_heavy_library(argv):
    code, modules = imported_by(argv)
    assert code == (2 if not argv else 0)
    assert heavy_among(modules) == []
    assert command_modules_among(modules) == set()
    assert "importlib.metadata" not in modules  # the version is read from the metadata file itself


@pytest.mark.parametrize("module", cli.command_modules())
def test_a_command_imports_its_own_module_and_no_other_command_module(module):
    command = next(name for name, _help, owner in cli.COMMANDS if owner == module)
    code, modules = imported_by([command, "--help"])
    assert code == 0
    assert command_modules_among(modules) == {module}
    assert heavy_among(modules, ("PySide6", "shiboken6", "alembic")) == []


def test_a_read_only_command_on_the_demo_imports_no_spreadsheet_pdf_crypto_or_migration_library(tmp_path):
    db = str(tmp_path / "demo.sqlite3")
    assert imported_by(["demo", "--learners", "5", "--db", db])[0] == 0
    code, modules = imported_by(["learners", "list", "--db", db])
    assert code == 0
    assert heavy_among(modules) == ["sqlalchemy"]
    assert not {m for m in modules if m.startswith("sqlalchemy.dialects.postgresql")}  # a school's SQLite PC needs none
    assert command_modules_among(modules) == {"school"}


def test_the_table_of_commands_is_what_the_modules_register_with_the_same_help():
    registered: dict[str, tuple[str, str]] = {}

    class Recorder:
        def __init__(self, module: str):
            self.module = module

        def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
            registered[name] = (kwargs.get("help", ""), self.module)
            kwargs.pop("help", None)
            return argparse.ArgumentParser(prog=name, **kwargs)

    def add(parent, name: str, handler, help_text: str) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    # Every module of the package that registers commands, whether or not the table names it.
    owners = sorted(path.stem for path in CLI_FOLDER.glob("*.py")
                    if "\ndef register(" in path.read_text(encoding="utf-8"))
    assert owners == sorted(cli.command_modules())
    for module in cli.command_modules():
        importlib.import_module(f"adultschool.cli.{module}").register(Recorder(module), add)
    assert [(name, help_text, module) for name, (help_text, module) in registered.items()] == list(cli.COMMANDS)


def test_every_command_of_the_table_gets_its_real_parser():
    parser = cli.build_parser(load_all=True)
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, _help, _module in cli.COMMANDS:
        real = commands.choices[name]
        assert real.add_help, f"{name} kept the table's stand-in parser"


def test_the_version_is_the_installed_distributions_as_importlib_metadata_reads_it():
    assert adultschool.__version__ == importlib.metadata.version("adultschool")


def test_the_head_revision_known_without_alembic_is_alembics_own_head():
    assert migrate.plain_chain_head(migrate.MIGRATIONS_DIR / "versions") == migrate.head_revision() == migrate.script_head()


def write_scripts(folder: Path, *chain: tuple[str, str]) -> Path:
    folder.mkdir()
    for revision, down in chain:
        (folder / f"{revision}_x.py").write_text(f'"""x\n\nRevision ID: {revision}\n"""\nfrom alembic import op\n\n'
                                                  f"revision = '{revision}'\ndown_revision = {down}\n"
                                                  "branch_labels = None\n", encoding="utf-8")
    return folder


def test_the_head_is_read_from_a_rechained_set_of_scripts_and_left_to_alembic_when_not_one_chain(tmp_path):
    # As the lead rechains the reserved numbers at a merge: 0011 and 0013 after 0010, 0012 after 0011.
    chain = [("0010", "None"), ("0011", "'0010'"), ("0012", "'0011'"), ("0013", "'0012'")]
    assert migrate.plain_chain_head(write_scripts(tmp_path / "chain", *chain)) == "0013"
    two_heads = [("0010", "None"), ("0011", "'0010'"), ("0012", "'0010'")]
    assert migrate.plain_chain_head(write_scripts(tmp_path / "heads", *two_heads)) is None
    merged = [("0010", "None"), ("0011", "'0010'"), ("0012", "'0010'"), ("0013", "('0011', '0012')")]
    assert migrate.plain_chain_head(write_scripts(tmp_path / "merge", *merged)) is None


def test_a_database_at_this_programs_schema_opens_without_importing_alembic(school_db):
    probe = ("import sys; from adultschool.db import open_database; database = open_database(sys.argv[1]); "
             "database.close(); print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    result = subprocess.run([sys.executable, "-c", probe, school_db.url], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_an_older_database_still_migrates_through_alembic(tmp_path):
    from sqlalchemy import text

    from adultschool.db import open_database

    old = tmp_path / "old.sqlite3"
    old.write_bytes((TESTS / "fixtures" / "db-0001.sqlite3").read_bytes())
    database = open_database(old)
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == migrate.head_revision()
    assert migrate.current_revision(database.engine) == migrate.head_revision()
    database.close()


def test_the_window_starts_without_the_spreadsheet_pdf_crypto_and_migration_libraries():
    probe = ("import sys; import adultschool.ui.app, adultschool.ui.main_window; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:])))")
    libraries = ["alembic", "openpyxl", "python_calamine", "reportlab", "cryptography", "PIL", "zxingcpp", "pypdfium2",
                 "psycopg", "pypinyin"]
    result = subprocess.run([sys.executable, "-c", probe, *libraries], capture_output=True, text=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_sealed_backup_suffix_the_window_knows_is_the_one_sealed_backups_get():
    from adultschool.services import maintenance
    from adultschool.aspkg import sealed

    assert maintenance.SEALED_SUFFIX == sealed.SUFFIX
