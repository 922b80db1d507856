"""The README's Python section runs as written."""

import re

from analysis import BootstrapResults


def python_block(readme: str, heading: str) -> str:
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, f"expected one python block under '{heading}'"
    return blocks[0]


def test_from_python_section_fits_bootstraps_and_summarises_model7(repo, monkeypatch, capsys):
    code = python_block((repo / "README.md").read_text(), "From Python")
    monkeypatch.chdir(repo)  # the README's paths are relative to the repository
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert out.startswith("Model 7") and "ci90 lower" in out and "50 resamples" in out
    boot = namespace["boot"]
    assert isinstance(boot, BootstrapResults) and boot.n == 50
    assert namespace["again"].bse.equals(boot.bse)
    assert namespace["results"].model.get_params()["delta"] == 0.0025
    assert namespace["gain"]["gain"] >= 1
