"""Input forms: the ways river and depth data come in, one module each, found through one registry.

A *form* reads one input file and returns one typed result:

* a **river form** (``role = "river"``, file ``inputs.river``) returns a :class:`WaterArea`: the river's water
  polygon, islands as holes, in a CRS the form states -- the file's own, or the run's metric CRS for a form
  that builds the water in metres. :mod:`pipeline.load` puts every water area through the same datum path
  (stated CRS -> WGS 84 by pyproj's best operation for the data extent -> the metric CRS) and the same
  checks, whatever the form;
* a **depth form** (``role = "depth"``, file ``inputs.depth``) returns a :class:`~pipeline.model.DepthGrid`:
  depth in metres, positive down, NaN where there is none, on a north-up grid in the CRS the grid states.

The built-in forms are the public modules of this package, each module's docstring saying what the form
reads and refuses; :func:`available` lists every registered form, in the order recognition asks them.

The contract
------------
A form module defines ``FORM = Form(name=..., role=..., describes=..., priority=..., recognises=...,
read=..., settings=...)``:

``recognises(path, probe) -> bool``
    Whether the file is in this form, when the form is not configured (``inputs.river_form = "auto"``, and
    always for depth). ``probe`` (:class:`Probe`) opens the file at most once for all forms: whether GDAL
    reads it as a raster, the geometry types of its vector layer. Forms are asked in ascending
    ``priority`` (then name); the first that says yes reads the file. Built-in priorities: osm 10, mask 20,
    banks 30, polygons 40; geotiff 10, soundings 90 (soundings takes any other depth file); default 50. A
    file GDAL cannot read as a vector layer is passed on to the later forms, its reading error reported only
    if no form recognises the file; a form that knows its files by name or content may still take a priority
    below 30, to be asked before the forms that read the vector layer.
``read(path, cfg, context) -> WaterArea | DepthGrid``
    Read the file and return the result of the form's role. ``cfg`` is the run's
    :class:`~pipeline.config.Config`; ``context`` (:class:`Context`) what is already known: the run's datum
    path and metric CRS, and for depth forms the river's water area and the treaty points that arbitrate
    blame. Every problem with the file is an :class:`~pipeline.errors.InputError` naming it.
``settings`` (optional)
    A frozen dataclass of the form's own settings (fields made with :func:`pipeline.config.setting`), read
    from the config table ``[forms.<name>]`` and checked like every other setting; ``read`` gets them as
    ``cfg.form_settings(name)``. So a new form needs no change to :mod:`pipeline.config`.

Registration
------------
The built-in forms are declared in ``pyproject.toml`` under the entry-point group ``tumen_border.forms``
(``name = "pipeline.forms.<module>:FORM"``), as any installed package declares its own: a third-party form
needs no change here, only its package's entry point. The built-ins are also found by scanning this
package's modules, so a checkout works when the installed metadata is stale (not reinstalled since a form
was added). A form that is not installed -- a test, a notebook -- is added with :func:`register`. The
configured ``inputs.river_form`` must be ``"auto"`` or a registered river form's name: the config checks it
against :func:`names`.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, is_dataclass
from functools import cached_property
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from ..errors import InputError
from ..model import DepthGrid
from ..readers import is_raster, read_vector, require_file

if TYPE_CHECKING:
    from ..config import Config
    from ..geodesy import Geodesy

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "tumen_border.forms"
ROLES = ("river", "depth")
AUTO = "auto"                 # the configured form that means: recognised from the file
DEFAULT_PRIORITY = 50


# ============================================================================================ the contract
@dataclass(frozen=True)
class WaterArea:
    """What a river form returns.

    Attributes
    ----------
    geometry : shapely geometry
        The river's water: (multi)polygon, islands as holes, in ``crs`` (x = longitude when geographic).
    crs : pyproj.CRS
        The CRS ``geometry`` is stated in; :mod:`pipeline.load` transforms from it to WGS 84 and on to the
        metric CRS.
    detail : str
        What was taken from the file, for the report (one line).
    repairs : tuple of str
        Repairs made to the file's geometry (e.g. ``make_valid``), one message each, for the report.
    """

    geometry: BaseGeometry
    crs: CRS
    detail: str
    repairs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """What is known when a form reads its file.

    Attributes
    ----------
    geo : Geodesy
        The run's datum path and metric CRS (built from the coast before any form reads).
    water : shapely geometry or None
        The river's water area in ``geo.metric`` (metres); given to depth forms, None for river forms.
    anchors : mapping of str to shapely Point
        Treaty points (id -> point in ``geo.metric``) that arbitrate blame when a depth file and the river miss
        each other (depth forms).
    """

    geo: Geodesy
    water: BaseGeometry | None = None
    anchors: Mapping[str, BaseGeometry] = field(default_factory=dict)


Role = Literal["river", "depth"]
Recognises = Callable[[Path, "Probe"], bool]
Read = Callable[[Path, "Config", Context], "WaterArea | DepthGrid"]


@dataclass(frozen=True)
class Form:
    """One input form (see the module docstring for the contract).

    Attributes
    ----------
    name : str
        The name ``inputs.river_form`` uses and the report shows (lower case, no spaces; not "auto").
    role : {"river", "depth"}
        Which input it reads: ``read`` returns a :class:`WaterArea` for "river", a DepthGrid for "depth".
    describes : str
        What the form reads, as messages list it ("two bank lines").
    recognises : callable
        ``recognises(path, probe) -> bool``.
    read : callable
        ``read(path, cfg, context) -> WaterArea | DepthGrid``.
    priority : int
        Order in which recognition asks the forms of a role (ascending).
    settings : type or None
        A frozen dataclass of the form's own settings, its fields made with :func:`pipeline.config.setting`
        (doc, unit, range): the config reads them from the table ``[forms.<name>]``, checks them like every
        setting, ``--set forms.<name>.<key>=...`` overrides them, README's configuration table lists them, and
        ``read`` gets them as ``cfg.form_settings(name)``. None: the form has no settings of its own.
    """

    name: str
    role: Role
    describes: str
    recognises: Recognises
    read: Read
    priority: int = DEFAULT_PRIORITY
    settings: type | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"form {self.name!r}: role {self.role!r} is not one of {', '.join(ROLES)}")
        if not self.name or self.name != self.name.strip().lower() or " " in self.name or self.name == AUTO:
            raise ValueError(f"form name {self.name!r}: lower case, no spaces, not {AUTO!r}")
        if self.settings is not None and not (isinstance(self.settings, type) and is_dataclass(self.settings)):
            raise ValueError(f"form {self.name!r}: settings must be a dataclass type, got {self.settings!r}")


class Probe:
    """Looks into one input file for the forms' ``recognises``, each made at most once.

    Parameters
    ----------
    path : Path
        The input file (it exists and is readable).
    role : str
        "river" or "depth": names the file in messages.
    cfg : Config
        The run's settings (``probe.cfg``, for a form whose recognition depends on its settings).
    """

    def __init__(self, path: Path, role: str, cfg: Config) -> None:
        self.path, self.role, self.cfg = Path(path), role, cfg
        _, self.layer, self.layer_key = _configured(role, cfg)
        self._types: set[str] | None = None
        self._vector_error: InputError | None = None

    @cached_property
    def is_raster(self) -> bool:
        """Whether GDAL opens the file as a raster (:func:`pipeline.readers.is_raster`), asked once.

        Returns
        -------
        bool
        """
        return is_raster(self.path)

    def geometry_types(self) -> set[str] | None:
        """The geometry types of the file's vector layer (``layer``, or its only one), e.g. {"Polygon"}.

        Returns
        -------
        set of str or None
            None when GDAL cannot read the file as a vector layer; that InputError is kept and raised if no
            form recognises the file (:meth:`unrecognised`).
        """
        if self._types is None and self._vector_error is None:
            try:
                layer = read_vector(self.path, self.layer, self.role, self.layer_key)
                self._types = {g.geom_type for g in layer.geometry}
            except InputError as exc:
                self._vector_error = exc
        return self._types

    def unrecognised(self, forms: list[Form]) -> InputError:
        """The error when none of ``forms`` recognises the file: why GDAL could not read it as a vector layer,
        if it tried, else what the layer holds and what the forms expect.

        Parameters
        ----------
        forms : list of Form
            The forms that were asked.

        Returns
        -------
        InputError
            Naming the file.
        """
        if self._vector_error is not None:
            return self._vector_error
        said = [f.describes for f in sorted(forms, key=lambda f: (-f.priority, f.name))]  # most general first
        expected = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} or {said[-1]}"
        if self._types is not None:
            return InputError(self.path, f"{self.role}: the layer holds {', '.join(sorted(self._types))} "
                                         f"geometries; expected {expected}")
        return InputError(self.path, f"{self.role}: not recognised as any {self.role} form; expected {expected}")


# ============================================================================================ the registry
_found: dict[str, Form] | None = None   # built-ins and entry points, discovered on first use
_added: dict[str, Form] = {}            # registered at run time (register)


def _builtin_forms() -> list[Form]:
    """The ``FORM`` of every public module of this package (the built-ins, whatever the installed metadata)."""
    out = []
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py") and not entry.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{entry.name[:-3]}")
            form = getattr(module, "FORM", None)
            if isinstance(form, Form):
                out.append(form)
    return out


def _entry_point_forms(taken: set[str]) -> list[Form]:
    """The forms other installed packages declare in the entry-point group :data:`ENTRY_POINT_GROUP`.

    Entries of this package are skipped (its modules were scanned; the installed metadata may be stale). An
    entry that cannot be loaded, is not a :class:`Form`, is named unlike its form or takes a name already
    registered is skipped with a warning: one broken plugin does not stop a run.
    """
    out = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.value.split(":")[0].startswith(f"{__name__}."):
            continue
        try:
            form = ep.load()
        except Exception as exc:   # a plugin's import error, whatever it is
            log.warning("input form %r (%s) not loaded: %s: %s", ep.name, ep.value, type(exc).__name__, exc)
            continue
        problem = ("is not a pipeline.forms.Form" if not isinstance(form, Form)
                   else f"names itself {form.name!r}" if form.name != ep.name
                   else "takes a name already registered" if ep.name in taken else "")
        if problem:
            log.warning("input form %r (%s) ignored: it %s", ep.name, ep.value, problem)
            continue
        taken.add(form.name)
        out.append(form)
    return out


def _registry() -> dict[str, Form]:
    global _found
    if _found is None:
        builtins = _builtin_forms()
        found = {f.name: f for f in builtins}
        found.update((f.name, f) for f in _entry_point_forms(set(found)))
        _found = found
    return {**_found, **_added}


def register(form: Form) -> Form:
    """Add a form that is not installed (a test, a notebook); an installed package uses the entry point.

    Parameters
    ----------
    form : Form
        Its name must not be registered yet.

    Returns
    -------
    Form
        ``form``, registered until :func:`unregister`.
    """
    if not isinstance(form, Form):
        raise TypeError(f"register() takes a pipeline.forms.Form, got {type(form).__name__}")
    if form.name in _registry():
        raise ValueError(f"an input form named {form.name!r} is already registered")
    _added[form.name] = form
    return form


def unregister(name: str) -> None:
    """Remove a form added with :func:`register` (installed forms stay).

    Parameters
    ----------
    name : str
        The form's name.
    """
    _added.pop(name, None)


def available(role: str | None = None) -> list[Form]:
    """The registered forms (of one role), in the order recognition asks them.

    Parameters
    ----------
    role : {"river", "depth"} or None
        Only the forms of this role (None: all).

    Returns
    -------
    list of Form
        Sorted by ascending priority, then name.
    """
    forms = [f for f in _registry().values() if role is None or f.role == role]
    return sorted(forms, key=lambda f: (f.priority, f.name))


def names(role: str) -> tuple[str, ...]:
    """The names of the registered forms of ``role``, in recognition order (what ``inputs.river_form`` takes
    besides "auto").

    Parameters
    ----------
    role : {"river", "depth"}

    Returns
    -------
    tuple of str
    """
    return tuple(f.name for f in available(role))


def get(name: str, role: str) -> Form:
    """The registered form ``name`` of ``role``.

    Parameters
    ----------
    name : str
        A form's name.
    role : {"river", "depth"}

    Returns
    -------
    Form
        KeyError naming the registered forms of ``role`` when there is none by that name.
    """
    form = _registry().get(name)
    if form is None or form.role != role:
        raise KeyError(f"no {role} form {name!r} (registered: {', '.join(names(role))})")
    return form


# ============================================================================================ reading
def _configured(role: str, cfg: Config) -> tuple[str, str, str]:
    """(configured form, layer, the layer's config key) of the input file of ``role``."""
    ic = cfg.inputs
    if role == "river":
        return ic.river_form, ic.river_layer, "inputs.river_layer"
    return AUTO, ic.depth_layer, "inputs.depth_layer"


def recognise(role: str, path: Path, cfg: Config) -> Form:
    """The form of the input file ``path``: the configured one, or the first form that recognises the file.

    Parameters
    ----------
    role : {"river", "depth"}
        Which input the file is.
    path : Path
        The file (``inputs.river`` or ``inputs.depth``).
    cfg : Config
        ``inputs.river_form`` and the layer keys.

    Returns
    -------
    Form
        A registered form of ``role``; an InputError names the file when it is missing or no form recognises
        it.
    """
    path = require_file(path, role)
    configured, _, _ = _configured(role, cfg)
    if configured != AUTO:
        try:
            return get(configured, role)
        except KeyError as exc:   # the config checks the name against the registry; a form unregistered since
            raise InputError(cfg.path, f"inputs.{role}_form: {exc.args[0]}") from None
    probe = Probe(path, role, cfg)
    forms = available(role)
    for form in forms:
        if form.recognises(path, probe):
            return form
    raise probe.unrecognised(forms)


def read(role: str, path: Path, cfg: Config, context: Context) -> tuple[Form, Any]:
    """Recognise the form of ``path`` and read it.

    Parameters
    ----------
    role : {"river", "depth"}
        Which input the file is.
    path : Path
        The file.
    cfg : Config
        The run's settings.
    context : Context
        What is already known (datum path; for depth, the river's water and the treaty points).

    Returns
    -------
    form : Form
        The form that read the file.
    result : WaterArea or DepthGrid
        A :class:`WaterArea` (river; in the CRS it states) or a DepthGrid (depth; in the CRS it states).
    """
    form = recognise(role, path, cfg)
    result = form.read(Path(path), cfg, context)
    wanted = WaterArea if role == "river" else DepthGrid
    if not isinstance(result, wanted):
        raise TypeError(f"input form {form.name!r} returned a {type(result).__name__}, not a {wanted.__name__}")
    return form, result


__all__ = ["AUTO", "Context", "DepthGrid", "ENTRY_POINT_GROUP", "Form", "Probe", "ROLES", "WaterArea", "available",
           "get", "names", "read", "recognise", "register", "unregister"]
