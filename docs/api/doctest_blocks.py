"""A Griffe extension for the API pages: doctest examples become Python code blocks.

shenjing's docstrings carry their examples as bare doctest blocks (``>>> ...`` then the output,
ended by a blank line), which CI runs. Markdown would read ``>>>`` as nested quotes and
``[0, 1][2]`` as links; this wraps each block in a ```` ```pycon ```` fence instead, so the
page shows it as an interactive session. The sources are left as they are.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    r"""``text`` with every doctest block wrapped in a ```` ```pycon ```` fence.

    >>> fence_doctests("Squares:\n\n>>> 2 ** 2\n4\n\nDone.").splitlines()
    ['Squares:', '', '```pycon', '>>> 2 ** 2', '4', '```', '', 'Done.']
    """
    out: list[str] = []
    lines = text.split("\n")
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        if in_fence or not stripped.startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(stripped)]
        out.append(f"{indent}```pycon")
        # A doctest block runs to the first blank line (or a line indented less than it).
        while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
            out.append(lines[i])
            i += 1
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fence the doctest blocks of every docstring Griffe reads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
