"""``orionis._hot``: the import-time choice between compiled and interpreted twins.

Each case runs a fresh interpreter, since the choice is made once, at import. The two
switches are removed from the child's environment first so the parent's mode (the suite also
runs under ``ORIONIS_NO_EXTENSIONS=1``) never leaks in.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parents[2]

FLAGS = ("ORIONIS_NO_EXTENSIONS", "ORIONIS_REQUIRE_EXTENSIONS")

# Makes every compiled twin unimportable, as if the build had been skipped.
BLOCK_COMPILED = textwrap.dedent(
    """
    import sys

    class BlockCompiled:
        def find_spec(self, name, path=None, target=None):
            if name.startswith("orionis._hot.") and name.endswith("_c"):
                raise ImportError(f"blocked for the test: {name}")
            return None

    sys.meta_path.insert(0, BlockCompiled())
    """
)

REPORT = textwrap.dedent(
    """
    import json
    try:
        import orionis
        import orionis._hot as hot
    except ImportError as exc:
        print(json.dumps({"error": "ImportError", "message": str(exc)}))
    else:
        print(json.dumps({
            "compiled": orionis.COMPILED,
            "hot_compiled": hot.COMPILED,
            "modules": {n: getattr(hot, n).__name__ for n in hot.MODULE_NAMES},
        }))
    """
)

PURE = {n: f"orionis._hot.{n}" for n in ("matcher", "urls", "cookies", "headers")}
COMPILED = {n: f"orionis._hot.{n}_c" for n in ("matcher", "urls", "cookies", "headers")}


def _run(env: dict[str, str], *, block: bool = False) -> dict:
    child_env = {k: v for k, v in os.environ.items() if k not in FLAGS}
    child_env.update(env)
    script = (BLOCK_COMPILED if block else "") + REPORT
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_default_uses_compiled_twins():
    """With no switch, the compiled twins are used and ``COMPILED`` is True."""
    assert _run({}) == {"compiled": True, "hot_compiled": True, "modules": COMPILED}


def test_no_extensions_uses_pure_twins():
    """``ORIONIS_NO_EXTENSIONS=1`` picks the interpreted twins even though compiled ones exist."""
    result = _run({"ORIONIS_NO_EXTENSIONS": "1"})
    assert result == {"compiled": False, "hot_compiled": False, "modules": PURE}


def test_falsy_switch_values_mean_off():
    """``0``, ``false``, ``no`` and empty leave the default (compiled) choice alone."""
    for value in ("0", "false", "No", "", " "):
        result = _run({"ORIONIS_NO_EXTENSIONS": value})
        assert result["compiled"] is True, value
        assert result["modules"] == COMPILED, value


def test_require_extensions_with_compiled_available():
    """``ORIONIS_REQUIRE_EXTENSIONS=1`` is satisfied when the compiled twins import."""
    result = _run({"ORIONIS_REQUIRE_EXTENSIONS": "1"})
    assert result == {"compiled": True, "hot_compiled": True, "modules": COMPILED}


def test_missing_compiled_falls_back_to_pure():
    """Without the REQUIRE switch, unimportable compiled twins fall back to the pure ones."""
    result = _run({}, block=True)
    assert result == {"compiled": False, "hot_compiled": False, "modules": PURE}


def test_require_extensions_refuses_fallback():
    """With ``ORIONIS_REQUIRE_EXTENSIONS=1`` a missing compiled twin is an ``ImportError``."""
    result = _run({"ORIONIS_REQUIRE_EXTENSIONS": "1"}, block=True)
    assert result["error"] == "ImportError"
    assert "ORIONIS_REQUIRE_EXTENSIONS" in result["message"]
    assert "blocked for the test: orionis._hot." in result["message"]


def test_block_only_affects_compiled_twins():
    """Sanity check of the blocker: with NO_EXTENSIONS it changes nothing."""
    result = _run({"ORIONIS_NO_EXTENSIONS": "1"}, block=True)
    assert result == {"compiled": False, "hot_compiled": False, "modules": PURE}
