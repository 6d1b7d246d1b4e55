"""Pure mode without Cython installed: the shim must stand in for every ``cython`` name.

Cython is only a build dependency, so a plain install imports the interpreted twins through
``orionis._hot._shim``. These checks hide the real ``cython`` module (the suite itself runs
with it installed in compiled mode) so a name missing from the shim fails here, not for users.
"""

from __future__ import annotations

import ast
import os
import pathlib
import subprocess
import sys
import textwrap

from orionis._hot import MODULE_NAMES, _shim

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOT = ROOT / "orionis" / "_hot"

# ``import cython`` raises ModuleNotFoundError with this entry, as when it is not installed.
HIDE_CYTHON = "import sys\nsys.modules['cython'] = None\n"


def _cython_names(source: str) -> set[str]:
    return {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "cython"
    }


def _child(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    child_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ORIONIS_NO_EXTENSIONS", "ORIONIS_REQUIRE_EXTENSIONS")
    }
    child_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", HIDE_CYTHON + textwrap.dedent(script)],
        env=child_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_shim_defines_every_cython_name_the_hot_modules_use():
    for name in MODULE_NAMES:
        used = _cython_names((HOT / f"{name}.py").read_text())
        missing = sorted(n for n in used if not hasattr(_shim, n))
        assert not missing, f"orionis/_hot/_shim.py lacks {missing} used by {name}.py"


def test_pure_mode_imports_and_serves_without_cython():
    """``ORIONIS_NO_EXTENSIONS=1 python -c "import orionis"`` with no Cython, then a request."""
    proc = _child(
        """
        import orionis, orionis._hot as hot
        assert hot.cookies.cython is hot._shim, hot.cookies.cython
        from orionis.testing import TestClient
        app = orionis.Application()

        @app.get("/n/{n:int}")
        def n(n: int) -> dict:
            return {"n": n}

        for interface in ("asgi", "rsgi"):
            with TestClient(app, interface=interface) as client:
                r = client.get("/n/7", cookies={"a": "1"})
                assert r.status_code == 200 and r.json() == {"n": 7}, r.text
        print("ok", orionis.COMPILED)
        """,
        ORIONIS_NO_EXTENSIONS="1",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "False"]


def test_fallback_without_compiled_twins_and_without_cython():
    """A missing compiled twin falls back to the interpreted one, with no Cython either."""
    proc = _child(
        """
        class BlockCompiled:
            def find_spec(self, name, path=None, target=None):
                if name.startswith("orionis._hot.") and name.endswith("_c"):
                    raise ImportError(name)
                return None

        sys.meta_path.insert(0, BlockCompiled())
        import orionis._hot as hot
        for name in hot.MODULE_NAMES:
            assert getattr(hot, name).__name__ == "orionis._hot." + name
        print(hot.COMPILED, hot.headers.clean_headers([("A", "b")], False))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False [('a', 'b')]"
