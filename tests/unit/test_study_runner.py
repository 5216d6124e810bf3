"""`impact run`: refusals before anything is executed, and report finalisation."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from impactlib.cli import commands as cli
from impactlib.cli import runner
from impactlib.project import notebooks


def _write_notebook(path, parameters_source="alpha = 0.05\n", tagged=True):
    cell = new_code_cell(parameters_source)
    if tagged:
        cell.metadata["tags"] = ["parameters"]
    path.parent.mkdir(parents=True, exist_ok=True)
    notebook = new_notebook(cells=[cell, new_code_cell("print(alpha)")])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    notebooks.write_notebook(notebook, path)


@pytest.fixture
def demo_study(scratch_project):
    _write_notebook(
        scratch_project / "notebooks" / "studies" / "demo.md",
        "study_id = 'demo'\nalpha = 0.05\n",
    )
    (scratch_project / "params").mkdir()
    (scratch_project / "params" / "demo.yaml").write_text("alpha: 0.1\n")
    return scratch_project


def test_unknown_study_id_is_refused_with_the_declared_ones(demo_study):
    with pytest.raises(notebooks.StudyError, match="unknown study or note 'other'.*declares: demo"):
        runner.run_notebook("other")


def test_parameter_not_declared_by_the_notebook_is_an_error(demo_study):
    (demo_study / "params" / "demo.yaml").write_text("alpha: 0.1\nalpah: 0.2\n")
    with pytest.raises(notebooks.StudyError, match="'alpah' not declared.*demo.md"):
        runner.run_notebook("demo")
    assert not (demo_study / "book" / "reports").exists()


def test_notebook_without_parameters_cell_is_refused(demo_study):
    _write_notebook(demo_study / "notebooks" / "studies" / "demo.md", tagged=False)
    with pytest.raises(notebooks.StudyError, match="no cell tagged 'parameters'"):
        runner.run_notebook("demo")


def test_missing_parameter_file_and_notebook_are_named(demo_study):
    (demo_study / "params" / "demo.yaml").unlink()
    with pytest.raises(notebooks.StudyError, match="parameter file .*demo.yaml does not exist"):
        runner.run_notebook("demo")
    (demo_study / "notebooks" / "studies" / "demo.md").unlink()
    with pytest.raises(notebooks.StudyError, match="notebook .*demo.md does not exist"):
        runner.run_notebook("demo")


@pytest.mark.parametrize("bad", ["Demo", "demo_study", "-demo", "demo--x"])
def test_study_ids_must_be_slugs(scratch_project, bad):
    (scratch_project / "params.yaml").write_text(f"studies:\n  - '{bad}'\n")
    with pytest.raises(notebooks.StudyError, match="not a lowercase slug"):
        notebooks.declared_studies()


def test_cli_reports_errors_in_one_line_and_exits_2(demo_study, capsys):
    assert cli.main(["run", "other"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("impact run: error: unknown study or note 'other'")


def test_finalise_report_removes_timestamps_and_hides_injected_parameters(tmp_path):
    notebook = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("x")])
    notebook.metadata["papermill"] = {
        "start_time": "t0",
        "end_time": "t1",
        "duration": 1.0,
        "parameters": {"x": 1},
    }
    notebook.cells[0].metadata["tags"] = ["injected-parameters"]
    notebook.cells[1].metadata["execution"] = {"iopub.status.busy": "t"}
    notebook.cells[1].metadata["papermill"] = {
        "start_time": "t",
        "duration": 0.1,
        "status": "completed",
    }
    path = tmp_path / "report.ipynb"
    nbformat.write(notebook, path)
    runner.finalise_report(path)
    result = nbformat.read(path, as_version=4)
    assert result.metadata["papermill"] == {"parameters": {"x": 1}}
    assert "remove-cell" in result.cells[0].metadata["tags"]
    assert "execution" not in result.cells[1].metadata
    assert result.cells[1].metadata["papermill"] == {"status": "completed"}
    assert result.cells[0].id == "injected-parameters"


def test_finalise_report_prints_project_paths_relative_to_the_project(tmp_path):
    root = tmp_path / "project"
    shown = f"PosixPath('{root.resolve()}/results/demo/estimates.json')"
    cell = new_code_cell("write_estimates(...)")
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": shown}, execution_count=1),
        nbformat.v4.new_output("stream", name="stderr", text=f"{root.resolve()}/src/x.py:3: W"),
    ]
    path = tmp_path / "report.ipynb"
    nbformat.write(new_notebook(cells=[cell]), path)
    runner.finalise_report(path, root)
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert outputs[0]["data"]["text/plain"] == "PosixPath('results/demo/estimates.json')"
    assert outputs[1]["text"] == "src/x.py:3: W"
    assert str(tmp_path) not in json.dumps(outputs)


def test_notebook_without_kernelspec_is_refused(demo_study):
    path = demo_study / "notebooks" / "studies" / "demo.md"
    notebook = notebooks.read_notebook(path)
    del notebook.metadata["kernelspec"]
    notebooks.write_notebook(notebook, path)
    with pytest.raises(notebooks.StudyError, match="no kernelspec"):
        runner.run_notebook("demo")


def test_an_id_declared_twice_is_refused(scratch_project):
    (scratch_project / "params.yaml").write_text("studies: [demo]\nnotes: [demo]\n")
    with pytest.raises(notebooks.StudyError, match="'demo' is declared twice"):
        notebooks.declared()


def test_kinds_map_to_their_folders(scratch_project):
    (scratch_project / "params.yaml").write_text("studies: [a]\nnotes: [b]\nguide: [c]\n")
    registry = notebooks.declared()
    assert {i: k.name for i, k in registry.items()} == {"a": "study", "b": "note", "c": "guide"}
    paths = notebooks.notebook_paths("b", registry["b"])
    assert paths["notebook"] == scratch_project / "notebooks" / "notes" / "b.md"
    assert paths["report"] == scratch_project / "book" / "notes" / "b.ipynb"
