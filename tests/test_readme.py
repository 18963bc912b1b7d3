"""Every shell and Python block of the README runs, and prints what the README shows.

Blocks run in document order in one temporary folder (the shared models linked into it when they
are present), so a block can use the files an earlier one wrote. What each block is checked
against:

- a ``console`` block: the lines after each ``$ command`` are that command's output;
- a ``sh`` block followed directly by a plain block: the plain block is the output of one of its
  commands;
- a ``python`` block: a line ``# value`` after an expression is the expression's repr.

In expected output a line ``...`` stands for any number of lines, and ``...`` within a line for
any text; timings (``2.6 s``, ``155 cases/s``) are normalised.
Set-up commands (``apt-get``, ``pip``, ``pytest``) are not run. A block that needs a file that is
not there (a shared model), or a command that says what to install (a reference interpreter,
the Arm toolchain), is skipped with that reason.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SHARED_MODELS = Path(os.environ.get("MICROINFER_SHARED_MODELS", REPO.parent / "shared" / "models"))
SETUP_COMMANDS = ("apt-get ", "pip ", "pytest", "sudo ")
TIMINGS = [(re.compile(r"\b\d+(?:\.\d+)? ?(s|ms|us|min)\b"), r"<time> \1"),
           (re.compile(r"\b\d[\d,]*(?:\.\d+)? cases/s\b"), "<rate> cases/s")]
INSTALL_HINTS = ("pip install", "apt-get install", "not installed", "is missing")


@dataclass
class Block:
    language: str
    text: str
    line: int
    output: str | None = None  # the plain block right after a sh block

    @property
    def id(self) -> str:
        return f"line{self.line}-{self.language}"


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks in order; a plain block right after a shell block becomes its output."""
    blocks: list[Block] = []
    pattern = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
    previous_end = None
    for match in pattern.finditer(text):
        language, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        between = text[previous_end:match.start()] if previous_end is not None else "x"
        if language == "" and blocks and blocks[-1].language == "sh" and not between.strip() \
                and blocks[-1].output is None:
            blocks[-1].output = body
        elif language in ("sh", "console", "python"):
            blocks.append(Block(language, body, line))
        previous_end = match.end()
    return blocks


BLOCKS = readme_blocks(README.read_text()) if README.is_file() else []


# -- matching output ------------------------------------------------------------------------------
def normalise(text: str) -> list[str]:
    lines = []
    for line in text.rstrip("\n").splitlines():
        for pattern, replacement in TIMINGS:
            line = pattern.sub(replacement, line)
        lines.append(line.rstrip())
    return lines


def output_matches(expected: str, actual: str) -> bool:
    want, got = normalise(expected), normalise(actual)
    memo: dict[tuple[int, int], bool] = {}

    def match(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[i, j]
        if i == len(want):
            result = j == len(got)
        elif want[i] == "...":
            result = any(match(i + 1, k) for k in range(j, len(got) + 1))
        elif j == len(got):
            result = False
        else:
            line = want[i]
            same = got[j] == line or ("..." in line and _elided(line).fullmatch(got[j]) is not None)
            result = same and match(i + 1, j + 1)
        memo[i, j] = result
        return result

    return match(0, 0)


def _elided(line: str) -> re.Pattern:
    """A line with ``...`` in it: any text stands where the ``...`` is."""
    return re.compile(".*".join(re.escape(part) for part in line.split("...")))


def difference(expected: str, actual: str) -> str:
    return "expected (README):\n" + expected + "\n--- got:\n" + actual


# -- running --------------------------------------------------------------------------------------
class Workspace:
    def __init__(self, folder: Path):
        self.folder = folder
        self.namespace: dict = {"__name__": "readme"}
        if SHARED_MODELS.is_dir():
            for model in SHARED_MODELS.glob("*.tflite"):
                (folder / model.name).symlink_to(model)
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
                    "COLUMNS": "200"}

    def missing_files(self, text: str, python: bool = False) -> list[str]:
        pattern = r"[\"']([^\"']+\.tflite)[\"']" if python else r"(?<!\S)([\w./-]+\.tflite)(?!\S)"
        names = set(re.findall(pattern, text))
        written = set(re.findall(r"(?:-o|--output)\s+([\w./-]+\.tflite)", text))
        written |= set(re.findall(r"open\(\"([\w./-]+\.tflite)\", \"wb\"\)", text))
        return sorted(n for n in names - written if not (self.folder / n).exists())

    def shell(self, command: str) -> subprocess.CompletedProcess:
        words = shlex.split(command)
        if words and words[0] == "microinfer":
            command = f"{shlex.quote(sys.executable)} -m microinfer {command[len('microinfer'):].lstrip()}"
        command = re.sub(r"(^|&&\s*)microinfer ", lambda m: f"{m.group(1)}{shlex.quote(sys.executable)} -m microinfer ",
                         command)
        return subprocess.run(command, shell=True, cwd=self.folder, env=self.env, capture_output=True, text=True,
                              timeout=900, executable="/bin/bash")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    old = Path.cwd()
    os.chdir(folder)
    try:
        yield Workspace(folder)
    finally:
        os.chdir(old)


def shell_commands(block: Block) -> list[tuple[str, str | None]]:
    """(command, its expected output or None) of a shell block."""
    if block.language == "console":
        commands: list[tuple[str, list[str]]] = []
        for line in block.text.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
        return [(c, "\n".join(out)) for c, out in commands]
    commands = []
    pending = ""
    for line in block.text.splitlines():
        line = pending + line
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command and not command.startswith("#"):
            commands.append((command, None))
    return commands


def run_shell(block: Block, workspace: Workspace) -> None:
    missing = workspace.missing_files(block.text)
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (the shared models: set MICROINFER_SHARED_MODELS)")
    outputs = []
    for command, expected in shell_commands(block):
        if command.startswith(SETUP_COMMANDS):
            continue
        result = workspace.shell(command)
        if result.returncode != 0 and any(h in result.stderr + result.stdout for h in INSTALL_HINTS):
            pytest.skip(f"`{command}`: {(result.stderr or result.stdout).strip().splitlines()[-1]}")
        assert result.returncode == 0, f"`{command}` exited {result.returncode}:\n{result.stderr[-3000:]}"
        outputs.append(result.stdout)
        if expected is not None and expected.strip():
            assert output_matches(expected, result.stdout), f"`{command}`\n" + difference(expected, result.stdout)
    if block.output is not None:
        assert outputs, "the block's output follows a block with nothing to run"
        assert any(output_matches(block.output, out) for out in outputs), \
            difference(block.output, "\n--- or:\n".join(outputs))


EXPECTATION = re.compile(r"^# (\(.*\)|\[.*\]|-?\d[\d_.e+-]*|'.*'|\".*\"|True|False|None)$")


def run_python(block: Block, workspace: Workspace, capsys) -> None:
    missing = workspace.missing_files(block.text, python=True)
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (the shared models: set MICROINFER_SHARED_MODELS)")
    lines = block.text.splitlines()
    tree = ast.parse(block.text)
    for statement in tree.body:
        following = lines[statement.end_lineno] if statement.end_lineno < len(lines) else ""
        expectation = EXPECTATION.match(following.strip())
        if isinstance(statement, ast.Expr) and expectation:
            value = eval(compile(ast.Expression(statement.value), str(README), "eval"), workspace.namespace)
            assert repr(value) == expectation.group(1), f"line {block.line + statement.lineno}: " \
                                                        f"{ast.unparse(statement)} is {value!r}"
        else:
            exec(compile(ast.Module([statement], []), str(README), "exec"), workspace.namespace)
    capsys.readouterr()


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block(block, workspace, capsys):
    if block.language == "python":
        run_python(block, workspace, capsys)
    else:
        run_shell(block, workspace)


def test_the_readme_has_blocks_to_run():
    assert len([b for b in BLOCKS if b.language == "python"]) >= 3
    assert any(b.output is not None for b in BLOCKS) and any(b.language == "console" for b in BLOCKS)


def test_output_matching_rules():
    assert output_matches("a\n...\nd", "a\nb\nc\nd")
    assert output_matches("a\n...", "a")
    assert not output_matches("a\nb", "a\nc")
    assert output_matches("in 2.6 s (155 cases/s)", "in 13.0 s (31 cases/s)")
    assert output_matches("battery: est. 7 h (average 0.03 mA, ...)", "battery: est. 7 h (average 0.03 mA, 3 uA)")
