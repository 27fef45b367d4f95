"""Reading files of a fetched bare repository snapshot at a pinned commit (training only)."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["git_ls", "git_show", "snapshot"]


def snapshot(mirror: Path, repo: str) -> Path:
    """The git directory of ``owner/name`` under ``mirror``: ``owner+name/repo`` when the
    snapshot is bare (the usual case), ``owner+name/repo/.git`` when it came with a work tree."""
    snap = mirror / repo.replace("/", "+") / "repo"
    return snap / ".git" if (snap / ".git").is_dir() else snap


def git_show(snap: Path, commit: str, path: str) -> bytes:
    """The bytes of ``path`` at ``commit``."""
    return subprocess.run(["git", f"--git-dir={snap}", "show", f"{commit}:{path}"],
                          check=True, capture_output=True).stdout


def git_ls(snap: Path, commit: str, folder: str) -> list[str]:
    """Every file path under ``folder`` at ``commit`` (recursive)."""
    out = subprocess.run(["git", f"--git-dir={snap}", "ls-tree", "-r", "--name-only",
                          commit, folder], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]
