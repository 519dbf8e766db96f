"""Measurement error model: random and systematic relative standard deviations per method.

Every measured mass follows the multiplicative model used in safeguards statistics,

    m = x * (1 + sum_c (r_c + s_c)),

summed over the components ``c`` of the measurement (for example a tank volume and an
element concentration), where ``r_c`` ~ N(0, random_rsd_c**2) is drawn anew for every
measurement and ``s_c`` ~ N(0, systematic_rsd_c**2) is shared by every measurement made
with method ``c`` within one calibration period.

The default table is read from ``itv.yaml`` in this package. It is meant to hold the
International Target Values 2010 (IAEA STR-368, November 2010) with their table number;
only values that were confirmed from the published report may go in (see the file
header). A facility file or a treaty's method parameters override or add methods.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.treaty.fielddocs import describe_fields

__all__ = [
    "ErrorModel",
    "MethodErrors",
    "default_error_model",
    "parse_error_model",
]

_ITV_FILE = "itv.yaml"

MethodId = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
"""Lower-case method identifier with hyphens, e.g. ``"idms-pu"``."""

_PARAM = re.compile(r"^(?P<method>[a-z0-9_]+?)_(?P<kind>random|systematic)_rsd$")


class MethodErrors(BaseModel):
    """Relative standard deviations of one measurement method.

    Parameters
    ----------
    id
        Method identifier, e.g. ``"idms-pu"``.
    random_rsd
        Random relative standard deviation (dimensionless, 0.001 = 0.1 %), independent
        for every measurement.
    systematic_rsd
        Systematic relative standard deviation (dimensionless), common to every
        measurement with this method in one calibration period.
    source
        Where the numbers come from (for ITV values the STR-368 table number), or
        ``"notional ..."``.
    description
        What is measured and how.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=describe_fields)

    id: MethodId
    random_rsd: float = Field(ge=0.0, lt=1.0, allow_inf_nan=False)
    systematic_rsd: float = Field(ge=0.0, lt=1.0, allow_inf_nan=False)
    source: str = Field(min_length=1)
    description: str = ""


class ErrorModel(BaseModel):
    """A table of :class:`MethodErrors`, at most one per method id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    methods: tuple[MethodErrors, ...] = ()

    def model_post_init(self, __context: Any) -> None:
        seen: set[str] = set()
        for index, method in enumerate(self.methods):
            if method.id in seen:
                raise InputError(
                    f"method {method.id!r} is given twice", where=f"methods[{index}].id"
                )
            seen.add(method.id)

    @property
    def ids(self) -> frozenset[str]:
        """The method ids this model knows."""
        return frozenset(method.id for method in self.methods)

    def __contains__(self, method_id: object) -> bool:
        return any(method.id == method_id for method in self.methods)

    def get(self, method_id: str) -> MethodErrors:
        """The errors of one method; :class:`UnknownNameError` if the model lacks it."""
        for method in self.methods:
            if method.id == method_id:
                return method
        known = ", ".join(sorted(self.ids)) or "none"
        raise UnknownNameError(
            f"unknown measurement method {method_id!r} (known: {known})", where="method"
        )

    def updated(self, methods: Iterable[MethodErrors]) -> ErrorModel:
        """A new model where ``methods`` replace those with the same id or are added."""
        table = {method.id: method for method in self.methods}
        for method in methods:
            table[method.id] = method
        return ErrorModel(methods=tuple(table[key] for key in sorted(table)))

    def with_parameters(self, parameters: Mapping[str, object], *, where: str) -> ErrorModel:
        """Override from a treaty's method parameters.

        A parameter ``<method>_random_rsd`` or ``<method>_systematic_rsd`` (method id with
        ``-`` written ``_``, e.g. ``idms_pu_systematic_rsd``) replaces that value. A method
        the model lacks must be given both values. Other parameters are ignored.

        Parameters
        ----------
        parameters
            Treaty method parameters (name to value, values dimensionless).
        where
            Location of the parameters for error messages, e.g.
            ``"treaties/x.yaml: methods.fissile-mass-balance.parameters"``.
        """
        wanted: dict[str, dict[str, float]] = {}
        for name, value in parameters.items():
            match = _PARAM.match(name)
            if match is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError("must be a number", where=f"{where}.{name}")
            if not math.isfinite(value) or not 0.0 <= value < 1.0:
                raise InputError(
                    "a relative standard deviation must be in [0, 1)", where=f"{where}.{name}"
                )
            method_id = match["method"].replace("_", "-")
            wanted.setdefault(method_id, {})[f"{match['kind']}_rsd"] = float(value)
        replaced: list[MethodErrors] = []
        for method_id, values in sorted(wanted.items()):
            if method_id in self:
                old = self.get(method_id)
                replaced.append(
                    old.model_copy(update={**values, "source": f"treaty parameters ({where})"})
                )
                continue
            missing = {"random_rsd", "systematic_rsd"} - set(values)
            if missing:
                name = f"{method_id.replace('-', '_')}_{sorted(missing)[0]}"
                raise InputError(
                    f"method {method_id!r} is not in the error model: give both "
                    "random_rsd and systematic_rsd",
                    where=f"{where}.{name}",
                )
            replaced.append(
                MethodErrors(id=method_id, source=f"treaty parameters ({where})", **values)
            )
        return self.updated(replaced)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_error_model(data: object, name: str = "<error model>") -> ErrorModel:
    """Validate a mapping ``{"methods": [...]}`` into an :class:`ErrorModel`.

    Raises
    ------
    InputError
        Naming ``name`` and the field, for unknown keys, wrong types, values out of
        range or duplicate method ids.
    """
    try:
        return ErrorModel.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _format_loc(tuple(err["loc"]))
        raise InputError(err["msg"], where=f"{name}: {loc}" if loc else name) from None
    except InputError as exc:
        raise InputError(exc.message, where=f"{name}: {exc.where}") from None


@functools.cache
def default_error_model() -> ErrorModel:
    """The shipped table (``itv.yaml``): only ITV-2010 values confirmed from STR-368."""
    text = resources.files(__package__).joinpath(_ITV_FILE).read_text(encoding="utf-8")
    return parse_error_model(yaml.safe_load(text), _ITV_FILE)
