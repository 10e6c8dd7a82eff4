"""The README and docs/*.md: every relative link points to a file that exists (and, for
`page.md#anchor`, to a heading of that page), and the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 400

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
# [text](target) and ![alt](target); the target ends at whitespace or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def links(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in prose_lines(path):
        for match in LINK.finditer(INLINE_CODE.sub("", line)):
            found.append((number, match.group(1)))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces
    to hyphens (so "The node cache: `--use-cache`" is "the-node-cache---use-cache")."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # a link keeps its text
    text = text.lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for _, line in prose_lines(path):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def is_external(target: str) -> bool:
    return re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) is not None


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def broken_links(path: Path) -> list[str]:
    problems = []
    for number, target in links(path):
        if is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        where = f"{shown(path)}:{number}"
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"{where}: {target}: {shown(linked)} does not exist")
            continue
        if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"{where}: {target}: no heading '#{anchor}' in "
                            f"{shown(linked)} (headings: "
                            f"{', '.join(sorted(anchors(linked)))})")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_readme_is_at_most_400_lines() -> None:
    count = len(README.read_text(encoding="utf-8").splitlines())
    assert count <= README_MAX_LINES, f"README.md has {count} lines (at most {README_MAX_LINES})"


def test_the_checker_sees_links_and_anchors() -> None:
    """The checks above are not vacuous: the README links into docs/, some links carry an
    anchor, and headings with code and punctuation get GitHub's anchors."""
    readme_targets = [target for _, target in links(README)]
    assert "docs/cli.md" in readme_targets
    assert any("#" in target and not is_external(target)
               for page in PAGES for _, target in links(page))
    assert slug("The node cache: `--use-cache`") == "the-node-cache---use-cache"
    assert slug("Results of `run_block` and `run_flow`") == "results-of-run_block-and-run_flow"
    assert "what-you-can-rely-on" in anchors(ROOT / "docs" / "cli.md")


def test_a_broken_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Here it is\n", encoding="utf-8")
    probe = tmp_path / "probe.md"
    probe.write_text("[gone](nowhere.md) [bad](other.md#no-such-heading) [good](other.md#here-it-is)\n"
                     "`[code](ignored.md)` [self](#nothing)\n"
                     "```\n[fenced](ignored-too.md)\n```\n", encoding="utf-8")
    problems = broken_links(probe)
    assert len(problems) == 3, problems
    assert "nowhere.md" in problems[0] and "does not exist" in problems[0]
    assert "no heading '#no-such-heading'" in problems[1]
    assert "no heading '#nothing'" in problems[2]
