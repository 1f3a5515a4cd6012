"""The CLI: likewise labels ..., likewise train, likewise models ..., likewise eval pairs."""

from __future__ import annotations

import json

from app.cli import main


def _cli(capsys, lib_path, model, *args):
    code = main(["--library", str(lib_path), "--model", str(model), "--device", "cpu", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_labels_train_models_and_eval_from_the_command_line(tmp_path, tiny_model_dir, capsys):
    lib = tmp_path / "lib.sqlite"
    data = tmp_path / "pairs.csv"
    rows = ["sentence1,sentence2,label"]
    for i in range(8):
        rows.append(f"Topic {i} is about cats.,A text on cats number {i}.,1")
        rows.append(f"Topic {i} is about tax.,Weather report {i}.,0")
    rows.insert(3, "Broken row,,1")
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")

    code, out, _ = _cli(capsys, lib, tiny_model_dir, "labels", "import", str(data))
    assert code == 0
    assert "16 labels imported" in out and "line 4: empty sentence2" in out

    code, out, _ = _cli(capsys, lib, tiny_model_dir, "labels", "list", "--json")
    assert len(json.loads(out)) == 16

    code, out, err = _cli(capsys, lib, tiny_model_dir, "train", "--batch-size", "4", "--no-forgetting-check")
    assert code == 0
    assert out.startswith("Loss: contrastive (16 binary pairs")
    assert "average precision" in out and "likewise models activate 2" in out
    assert "step 1/" in err

    code, out, _ = _cli(capsys, lib, tiny_model_dir, "models", "activate", "2")
    assert code == 0 and "Model 2 is active" in out
    code, out, _ = _cli(capsys, lib, tiny_model_dir, "models", "list", "--json")
    models = {m["id"]: m for m in json.loads(out)}
    assert models[2]["active"] and models[2]["kind"] == "finetuned" and not models[1]["active"]

    code, out, err = _cli(capsys, lib, tiny_model_dir, "eval", "pairs", "--data", str(data), "--model", "1", "--json")
    assert code == 0 and "skipped line 4" in err
    result = json.loads(out)
    assert result["metrics"]["pair_binary"]["n"] == 16 and "ap" in result["metrics"]["pair_binary"]

    code, _, err = _cli(capsys, lib, tiny_model_dir, "models", "delete", "2")
    assert code == 2 and "active" in err
    out_file = tmp_path / "labels.tsv"
    code, out, _ = _cli(capsys, lib, tiny_model_dir, "labels", "export", str(out_file))
    assert code == 0 and len(out_file.read_text(encoding="utf-8").splitlines()) == 17
    code, out, _ = _cli(capsys, lib, tiny_model_dir, "labels", "delete", "--all")
    assert "16 labels deleted" in out
