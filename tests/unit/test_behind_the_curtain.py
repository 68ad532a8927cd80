"""docs/behind-the-curtain.md: it quotes the seed's three `docker run` commands verbatim, every flag, volume and
option of each has its row in that step's table (and no row names anything else), and every repository path,
module_utils function and role variable the page names exists, so a rename breaks this test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "behind-the-curtain.md"
COMMANDS = ROOT / "tests" / "unit" / "data" / "seed_docker_run.txt"
POST_FLAGS = ROOT / "tests" / "unit" / "data" / "seed_post_flags.txt"
MODULE_UTILS = ROOT / "plugins" / "module_utils"
STEPS = ("one", "two", "three")
# A path inside the repository, as the page writes it (in a code span or in prose).
REPO_PATH = re.compile(
    r"(?<![\w/.<-])((?:roles|plugins|docs|scripts|tests|molecule|images|playbooks|inventory)/[\w./-]*[\w/])")
ROLE_PREFIXES = {"etcd": "etcd", "hyperkube_master": "hyperkube_master", "kube_proxy": "kube_proxy"}


def _commands() -> dict[str, str]:
    """{step: the command as quoted, line breaks included}."""
    commands: dict[str, list[str]] = {}
    for line in COMMANDS.read_text().splitlines():
        if line.startswith("## step "):
            current = commands.setdefault(line.split()[2].rstrip(":"), [])
        elif line and not line.startswith("#"):
            current.append(line)
    return {step: "\n".join(lines) for step, lines in commands.items()}


def _tokens(command: str) -> list[str]:
    """The flags, volumes, image and program words of a command, without `docker run` and line continuations."""
    words = command.replace("\\\n", " ").split()
    assert words[:2] == ["docker", "run"]
    return words[2:]


def _section(text: str, step: str) -> str:
    return text.split(f"## Step {step}:", 1)[1].split("\n## ", 1)[0]


def _row_items(section: str) -> set[str]:
    """The words of the code spans in the first column of the section's table rows."""
    items: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line[1:].split(" | ", 1)[0]
            for span in re.findall(r"`([^`]+)`", first_cell):
                items.update(span.split())
    return items


@pytest.fixture(scope="module")
def page() -> str:
    return DOC.read_text()


def test_the_data_holds_three_commands() -> None:
    assert list(_commands()) == list(STEPS)


@pytest.mark.parametrize("step", STEPS)
def test_page_quotes_the_command_verbatim(page: str, step: str) -> None:
    assert f"```sh\n{_commands()[step]}\n```" in _section(page, step)


def test_the_master_command_is_the_seed_posts() -> None:
    """The guide's step two ends in exactly the kubelet line the seed post quotes."""
    post_lines = POST_FLAGS.read_text().splitlines()
    kubelet = post_lines[post_lines.index("# Step two, the kubelet of the \"master\" container:") + 1].strip()
    assert _commands()["two"].splitlines()[-1].strip() == kubelet


@pytest.mark.parametrize("step", STEPS)
def test_every_item_has_its_row_and_no_row_is_extra(page: str, step: str) -> None:
    tokens = set(_tokens(_commands()[step]))
    rows = _row_items(_section(page, step))
    assert sorted(tokens - rows) == [], "items of the command without a row"
    assert sorted(rows - tokens) == [], "rows that are not items of the command"


def test_every_path_the_page_names_exists(page: str) -> None:
    paths = set(REPO_PATH.findall(page))
    paths |= {f"docs/{target}" for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page)}
    assert len(paths) > 20  # the pattern still finds what the page names
    missing = sorted(path for path in paths if not (ROOT / path).exists())
    assert missing == []
    # A bare file name such as `kube_cluster.py` is a module_utils file.
    bare = {span for span in _code_spans(page) if re.fullmatch(r"\w+\.py", span)}
    assert bare
    assert sorted(name for name in bare if not (MODULE_UTILS / name).is_file()) == []


def test_every_module_utils_name_exists(page: str) -> None:
    """`module.function()` and `module.CONSTANT` where module is a file in plugins/module_utils."""
    checked = 0
    for span in _code_spans(page):
        match = re.fullmatch(r"(\w+)\.(\w+)(\(\))?", span)
        source = MODULE_UTILS / f"{match.group(1)}.py" if match else None
        if source is None or not source.is_file() or match.group(2) == "py":
            continue
        module, name, call = match.groups()
        text = source.read_text()
        assert (f"\ndef {name}(" in text) if call else (f"\n{name} = " in text or f"\n{name}: " in text), \
            f"{module}.{name}"
        checked += 1
    assert checked >= 8


def _code_spans(page: str) -> list[str]:
    """The inline code spans, outside the fenced blocks (whose backticks would pair up wrongly)."""
    prose = re.sub(r"^```.*?^```$", "", page, flags=re.MULTILINE | re.DOTALL)
    return re.findall(r"`([^`]+)`", prose)


def _role_variables(page: str) -> set[tuple[str, str]]:
    """(role, variable) for each code span that starts with a role's variable prefix (or its `_` for vars/)."""
    found = set()
    for span in _code_spans(page):
        name = re.split(r"[\s:.(]", span, maxsplit=1)[0]
        if (MODULE_UTILS / f"{name}.py").is_file():
            continue  # a module_utils file, such as kube_proxy
        for prefix, role in ROLE_PREFIXES.items():
            if re.fullmatch(rf"_?{prefix}_\w+", name):
                found.add((role, name))
    return found


def test_every_role_variable_the_page_names_exists(page: str) -> None:
    variables = _role_variables(page)
    assert len(variables) > 20
    for role, name in sorted(variables):
        role_dir = ROOT / "roles" / role
        declared = {path.read_text() for path in (role_dir / "defaults" / "main.yml", role_dir / "vars" / "main.yml")}
        if any(re.search(rf"^{name}:", text, re.MULTILINE) for text in declared):
            continue
        # A per-host inventory variable (etcd_advertise_address) is read by the role's tasks instead.
        assert any(name in path.read_text() for path in role_dir.rglob("*.yml")), f"{role}: {name}"
