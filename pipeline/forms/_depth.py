"""Rules every depth form applies (not a form: the registry skips modules whose name starts with "_")."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger(__name__)


def check_relief(path: Path, role: str, depth: np.ndarray, cfg: Config) -> float:
    """The depth range (max - min) over the river's water; below ``inputs.depth_min_relief_m`` the bed is flat:
    it has no deepest line, so a thalweg (or the deepest channel) from it would be an artefact of noise or of
    the grid. Refused then when the run uses the thalweg or the deepest channel; with the middle line and the
    widest channel the depth only feeds the report's thalweg, and a warning says it is meaningless.

    Parameters
    ----------
    path : Path
        The depth file, named by the error.
    role : str
        What the file is, for messages ("depth raster", "depth soundings").
    depth : ndarray
        Depths in metres over the water (NaN ignored).
    cfg : Config
        ``inputs.depth_min_relief_m``, ``land.border_line``, ``land.main_channel``.

    Returns
    -------
    float
        The relief in metres.
    """
    finite = depth[np.isfinite(depth)]
    relief = float(finite.max() - finite.min()) if finite.size else 0.0
    limit = cfg.inputs.depth_min_relief_m
    if relief >= limit and relief > 0:
        return relief
    text = (f"{role}: the river bed is flat: depth varies by {relief:.3g} m across the water "
            f"({finite.min():g}..{finite.max():g} m), less than inputs.depth_min_relief_m = {limit:g} m, so it has "
            "no deepest line")
    if cfg.border_line == "thalweg" or cfg.land.main_channel == "deepest":
        raise InputError(path, f"{text}; set land.border_line = \"middle\" (and land.main_channel = \"widest\") "
                               "or give a depth with relief")
    log.warning("%s: %s; the thalweg in the outputs is meaningless", path.name, text)
    return relief
