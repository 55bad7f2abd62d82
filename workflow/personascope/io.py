"""Atomic writes of every artifact: a temp file beside the target, fsynced, then a rename.

The file gets the permissions any other tool would give it (0666 less the process umask), not
mkstemp's 0600: on a cluster's shared file system the rest of a group must read the results.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _process_umask() -> int:
    # os.umask can only be read by setting it; done once, at import, before any thread starts.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _process_umask()
FILE_MODE = 0o666 & ~UMASK


def fsync_file(path: str | os.PathLike[str]) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename in `path` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str], prefix: str | None = None, suffix: str | None = None
) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it into place only if the block succeeds.

    The content is fsynced before the rename, so a crash leaves the old file or the whole new one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=target.parent,
        prefix=prefix or f".{target.name}.",
        suffix=target.suffix if suffix is None else suffix,
    )
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    try:
        yield Path(tmp)
        fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def write_parquet(table: pa.Table | pd.DataFrame, path: str | os.PathLike[str]) -> None:
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def write_text(text: str, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(obj: Any, path: str | os.PathLike[str]) -> None:
    write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", path)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    write_text(frame.to_csv(index=False, lineterminator="\n"), path)


def write_latex(frame: pd.DataFrame, path: str | os.PathLike[str], caption: str = "") -> None:
    """A booktabs table; numbers as they are in the frame (round before calling)."""
    cols = list(frame.columns)
    align = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in cols)
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    lines.append(" & ".join(latex_escape(str(c)) for c in cols) + r" \\")
    lines.append(r"\midrule")
    for row in frame.itertuples(index=False):
        lines.append(" & ".join(latex_cell(v) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    write_text("\n".join(lines), path)


LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
}
LATEX_SPECIAL = re.compile("|".join(re.escape(c) for c in LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    # One pass: replacing characters one after another would escape the braces of an earlier
    # replacement (a backslash becoming \textbackslash\{\}).
    return LATEX_SPECIAL.sub(lambda m: LATEX_SPECIALS[m.group(0)], text)


def latex_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "--"
    if isinstance(value, float):
        return f"{value:.1f}"
    return latex_escape(str(value))


# matplotlib writes its version (PDF Creator/Producer, PNG Software) and the date by default.
PDF_METADATA = {"CreationDate": None, "Creator": None, "Producer": None}
PNG_METADATA = {"Software": None}


def save_figure(
    fig: Any, pdf: str | os.PathLike[str], png: str | os.PathLike[str] | None = None
) -> None:
    """Save a matplotlib figure as PDF (and PNG) atomically, byte-reproducibly: no date and no
    software version in either file, so a rebuild from a bundle gives the same bytes."""
    with atomic_path(pdf) as tmp:
        fig.savefig(tmp, format="pdf", bbox_inches="tight", metadata=PDF_METADATA)
    if png is not None:
        with atomic_path(png) as tmp:
            fig.savefig(tmp, format="png", dpi=200, bbox_inches="tight", metadata=PNG_METADATA)
